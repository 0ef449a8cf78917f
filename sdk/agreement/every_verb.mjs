// Prints, as JSON, a verb document built with the Node SDK using every verb and every
// option it offers (for check.py).
import {
  Document, Gather, dialExtension, dialNumber, dialQueue, dialSip, dialTrunk,
} from "../node/src/index.js";

const confirm = { key: "1", timeout: 10, prompt: { say: "Press 1 to take the call.", language: "en" } };
const menu = new Gather({
  numDigits: 1, action: "/menu", timeout: 5, finishOnKey: "#", input: ["dtmf"], interDigitTimeout: 3,
})
  .say("Welcome", { language: "en", voice: "en-us", loop: 1 })
  .play({ recording: "menu", loop: 2 })
  .play({ url: "/audio/menu.wav" })
  .pause(1);
const document = new Document()
  .say("Hello", { language: "en", voice: "en-us", loop: 2 })
  .play({ recording: "welcome", loop: 1 })
  .play({ url: "https://example.com/hello.wav" })
  .pause(2)
  .gather(menu)
  .dial(
    [
      dialExtension("101", { confirm }),
      dialNumber("0612345678", { confirm: { prompt: { recording: "take-the-call" } } }),
      dialSip("sip:alice@example.com", { confirm }),
      dialTrunk("provider", "003222", { confirm }),
    ],
    {
      timeout: 20, action: "/after", strategy: "hunt", callerId: "5000", callerName: "Reception",
      answerOnBridge: true, record: true, timeLimit: 3600,
    },
  )
  .dial([dialExtension("102")], { ringback: { recording: "ringing" } })
  .dial([dialExtension("103")], { ringback: { url: "/ringing.wav" } })
  .dial([dialQueue("support")])
  .record({
    maxLength: 60, action: "/saved", finishOnKey: "#", timeout: 5, playBeep: true,
    recordingStatusCallback: "/recorded",
  })
  .enqueue("support", { waitUrl: "/hold", action: "/left" })
  .leave()
  .redirect({ url: "/next" })
  .redirect({ destination: "ivr:Main" })
  .reject("busy")
  .hangup();
process.stdout.write(JSON.stringify(document.toJSON()));
