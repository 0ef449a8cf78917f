//! A rung leg screened before the ringer hears of its answer (a dial target's
//! `confirm`): an endpoint of its own plays the prompt to it and listens for a key, off
//! the loop; then the leg's sockets go back to it, ready to be bridged. The program
//! decides what the key means for the dial; this only asks.

use super::app::load;
use super::{Done, Driver};
use crate::media::endpoint::{self, EndpointEvent};
use crate::program::{AudioSource, Event, Screening};
use crate::ring::LegId;
use crate::store::Store;
use std::time::Duration;
use tokio::sync::mpsc;

impl<S: Store> Driver<S> {
    /// Plays `prompt` to the answered `leg` and waits for its key.
    pub(super) fn screen(&mut self, leg: LegId, prompt: AudioSource, key: char, timeout: Duration) {
        let taken = self.legs.as_mut().and_then(|legs| {
            let l = legs.legs.get_mut(leg)?;
            Some((l.sockets.take()?, l.answer.clone()?))
        });
        let Some((sockets, answer)) = taken else {
            self.queued.push_back(Event::Screened {
                leg,
                result: Err("the answered party has no media".to_owned()),
            });
            return;
        };
        let calls = self.calls.clone();
        let peer = super::peer_of(&answer, None);
        let handle = self.pending.spawn(async move {
            let (tx, mut events) = mpsc::unbounded_channel();
            let mut media = endpoint::start(sockets, peer, calls.rtp_timeout, tx);
            let result = match load(&calls, prompt).await {
                Ok(audio) => {
                    // Looped: the party hears it again until it answers or time is up.
                    media.play(audio, 0);
                    Ok(first_key(&mut events, timeout).await.map_or(
                        Screening::TimedOut,
                        |pressed| {
                            if pressed == key {
                                Screening::Accepted
                            } else {
                                Screening::Refused
                            }
                        },
                    ))
                }
                Err(problem) => Err(problem),
            };
            let sockets = media.release().await;
            Done::Screened {
                leg,
                result,
                sockets,
            }
        });
        self.screening.insert(leg, handle.clone());
        self.fallbacks.insert(
            handle.id(),
            Event::Screened {
                leg,
                result: Err("stopped".to_owned()),
            },
        );
    }

    /// The screened leg's sockets go back to it (unless it ended meanwhile).
    pub(super) fn screened(
        &mut self,
        leg: LegId,
        result: Result<Screening, String>,
        sockets: Option<crate::media::bridge::MediaLeg>,
    ) -> Event {
        self.screening.remove(&leg);
        if let Some(l) = self.legs.as_mut().and_then(|legs| legs.legs.get_mut(leg))
            && !l.ended
        {
            l.sockets = sockets;
        }
        tracing::info!(sid = %self.record.sid, leg, ?result, "dial: the answered party was asked to accept the call");
        Event::Screened { leg, result }
    }

    /// A leg that ended, or that we end, is no longer screened.
    pub(super) fn stop_screening(&mut self, leg: LegId) {
        if let Some(task) = self.screening.remove(&leg) {
            task.abort();
        }
    }
}

/// The first key pressed within `timeout` (None: none, or the media ended).
async fn first_key(
    events: &mut mpsc::UnboundedReceiver<EndpointEvent>,
    timeout: Duration,
) -> Option<char> {
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(EndpointEvent::Key(key)) => return Some(key),
                Some(EndpointEvent::RtpTimeout) | None => return None,
                Some(_) => {}
            },
            () = &mut deadline => return None,
        }
    }
}
