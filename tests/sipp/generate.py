#!/usr/bin/env python3
"""Writes the call scenarios of this folder (uac_*.xml, uas_*.xml) from shared pieces.
Run it from this folder after changing it; the generated files are committed."""
HDR_INVITE = '''INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller [caller]" <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag0[call_number]
To: <sip:[service]@[remote_ip]>
Call-ID: [call_id]
CSeq: CSEQ INVITE
Contact: <sip:[caller]@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
AUTHContent-Type: application/sdp
Content-Length: [len]

v=0
o=sipp 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=sendrecv
'''

def invite(cseq, auth):
    return HDR_INVITE.replace('CSEQ', str(cseq)).replace('AUTH', '[authentication]\n' if auth else '')

def invite_with_auth():
    return ('  <send retrans="500"><![CDATA[\n' + invite(1, False) + '\n]]></send>\n'
    '  <recv response="100" optional="true"/>\n'
    '  <recv response="407" auth="true"/>\n'
    '''  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: "Caller [caller]" <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag0[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
''' + '  <send retrans="500"><![CDATA[\n' + invite(2, True) + '\n]]></send>\n'
    '  <recv response="100" optional="true"/>\n')

ACK_2XX = '''  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller [caller]" <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag0[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: CSEQ ACK
Contact: <sip:[caller]@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0

]]></send>
'''
def ack_2xx(cseq): return ACK_2XX.replace('CSEQ', str(cseq))

ACK_ERR = '''  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: "Caller [caller]" <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag0[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
'''

def bye(cseq):
    return '''  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller [caller]" <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag0[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: CSEQ BYE
Contact: <sip:[caller]@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
'''.replace('CSEQ', str(cseq))

def scenario(name, doc, body):
    if 'assign_to="held"' in body:
        body += '  <Reference variables="held"/>\n'
    open(name,'w').write('<?xml version="1.0" encoding="UTF-8"?>\n<!-- ' + doc +
      '\n     Caller side: -s <callee number> -au <caller> -ap <password> -key caller <caller> -->\n<scenario name="' + name[:-4] + '">\n' + body + '</scenario>\n')

for code, doc in [(404,'the number does not exist'),(480,'the callee has no registered device, or rang out'),(486,'every device of the callee is busy'),(603,'declined (an outbound call the extension may not make)')]:
    scenario('uac_%d.xml' % code, 'A call refused with %d: %s.' % (code, doc),
        invite_with_auth() + '  <recv response="180" optional="true"/>\n  <recv response="183" optional="true"/>\n  <recv response="%d"/>\n' % code + ACK_ERR)

scenario('uac_call.xml','An authenticated call that is answered, held for -d milliseconds, then hung up by the caller.',
    invite_with_auth() + '  <recv response="180" optional="true"/>\n  <recv response="183" optional="true"/>\n  <recv response="200" rtd="true" rrs="true"/>\n'
    + ack_2xx(2) + '  <pause/>\n' + bye(3))

scenario('uac_wait_bye.xml','An authenticated call that is answered; the callee hangs up.',
    invite_with_auth() + '  <recv response="180" optional="true"/>\n  <recv response="183" optional="true"/>\n  <recv response="200" rrs="true"/>\n'
    + ack_2xx(2) + '''  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
''')

scenario('uac_cancel.xml','An authenticated call cancelled by the caller while the callee rings.',
    invite_with_auth() + '''  <recv response="180"/>
  <send><![CDATA[
CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: "Caller [caller]" <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag0[call_number]
To: <sip:[service]@[remote_ip]>
Call-ID: [call_id]
CSeq: 2 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
  <recv response="487"/>
''' + ACK_ERR)

scenario('uac_reinvite.xml','An answered call put on hold by the caller with a re-INVITE (a=sendonly), then hung up.',
    invite_with_auth() + '  <recv response="180" optional="true"/>\n  <recv response="200" rrs="true"/>\n'
    + ack_2xx(2) + '''  <pause milliseconds="300"/>
  <send retrans="500"><![CDATA[
INVITE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Caller [caller]" <sip:[caller]@[remote_ip]>;tag=[pid]SIPpTag0[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 3 INVITE
Contact: <sip:[caller]@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=sipp 1 2 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
a=sendonly

]]></send>
  <recv response="100" optional="true"/>
  <recv response="200">
    <action>
      <ereg regexp="a=recvonly" search_in="body" check_it="true" assign_to="held"/>
    </action>
  </recv>
''' + ack_2xx(3) + bye(4))

UAS_200 = '''  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
TOLINE
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=callee 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
a=DIRECTION

]]></send>
'''
def uas_200(direction, new_tag=True):
    return UAS_200.replace('DIRECTION', direction).replace('TOLINE', '[last_To:];tag=[pid]SIPpTag01[call_number]' if new_tag else '[last_To:]')

UAS_180 = '''  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
'''
REPLY_200 = '''  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
'''
def uas(name, doc, body):
    if 'assign_to="held"' in body:
        body += '  <Reference variables="held"/>\n'
    body += '  <Reference variables="junk,invite_cseq,junk2,caller_tag"/>\n'
    open(name,'w').write('<?xml version="1.0" encoding="UTF-8"?>\n<!-- ' + doc +
      '\n     Callee side: register on the same port with register.xml first. -->\n<scenario name="' + name[:-4] + '">\n  <recv request="INVITE" crlf="true" rrs="true">\n    <action>\n      <ereg regexp="CSeq: *([0-9]+)" search_in="msg" assign_to="junk,invite_cseq"/>\n      <ereg regexp=";tag=([^;>[:space:]]+)" search_in="hdr" header="From:" assign_to="junk2,caller_tag"/>\n    </action>\n  </recv>\n' + body + '</scenario>\n')

uas('uas_answer.xml','Answers, then waits for the BYE.',
    UAS_180 + uas_200('sendrecv') + '  <recv request="ACK"/>\n  <recv request="BYE"/>\n' + REPLY_200)

uas('uas_answer_then_bye.xml','Answers, then hangs up after a second.',
    UAS_180 + uas_200('sendrecv') + '''  <recv request="ACK"/>
  <pause milliseconds="1000"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:callee@[local_ip]>;tag=[pid]SIPpTag01[call_number]
To: <sip:caller@[remote_ip]>;tag=[$caller_tag]
[last_Call-ID:]
CSeq: 1 BYE
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
''')

uas('uas_answer_reinvite.xml','Answers, accepts a re-INVITE that must put it on hold (a=sendonly), then waits for the BYE.',
    UAS_180 + uas_200('sendrecv') + '''  <recv request="ACK"/>
  <recv request="INVITE">
    <action>
      <ereg regexp="a=sendonly" search_in="body" check_it="true" assign_to="held"/>
    </action>
  </recv>
''' + uas_200('recvonly', new_tag=False) + '  <recv request="ACK"/>\n  <recv request="BYE"/>\n' + REPLY_200)

def refusal(status):
    return '''  <send><![CDATA[
SIP/2.0 ''' + status + '''
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <recv request="ACK"/>
'''

uas('uas_busy.xml','Refuses with 486 Busy Here.', refusal('486 Busy Here'))

uas('uas_unavailable.xml','Refuses with 503 Service Unavailable (a trunk in trouble).', refusal('503 Service Unavailable'))

uas('uas_away.xml','Refuses with 480 Temporarily Unavailable (a phone set to do not disturb).', refusal('480 Temporarily Unavailable'))

uas('uas_answer_no_sdp.xml','Answers with a 200 that carries no SDP answer (a broken device), then waits for the BYE.',
    UAS_180 + '''  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <recv request="ACK"/>
  <recv request="BYE"/>
''' + REPLY_200)

# A provider that wants digest credentials (-set user NAME -set password SECRET): it
# challenges the INVITE with 401, checks the Authorization of the second INVITE
# (a wrong one is refused with 403 and fails the scenario), then answers.
uas('uas_challenge_answer.xml','Challenges with 401 (digest), verifies the credentials, answers, then waits for the BYE.', '''  <Global variables="user,password"/>
  <send><![CDATA[
SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
WWW-Authenticate: Digest realm="provider.test", nonce="4bb5a9c3e1d07f62", algorithm=MD5
Content-Length: 0

]]></send>
  <recv request="ACK"/>
  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp="CSeq: *([0-9]+)" search_in="msg" assign_to="junk3,invite_cseq2"/>
      <verifyauth assign_to="authvalid" username="[$user]" password="[$password]"/>
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="authorized"/>
  <send><![CDATA[
SIP/2.0 403 Forbidden
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <recv request="ACK"/>
  <recv request="NEVER" timeout="200"/>
  <label id="authorized"/>
''' + uas_200('sendrecv') + '  <recv request="ACK"/>\n  <recv request="BYE"/>\n' + REPLY_200 + '  <Reference variables="junk3,invite_cseq2,authvalid"/>\n')

uas('uas_ring.xml','Rings until the call is cancelled (by the caller, or by the ring timeout).',
    UAS_180 + '  <recv request="CANCEL"/>\n' + REPLY_200 + '''  <send><![CDATA[
SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [$invite_cseq] INVITE
Content-Length: 0

]]></send>
  <recv request="ACK"/>
''')

scenario('uac_refused.xml','A call with a wrong password: challenged again, never placed.',
    invite_with_auth() + '  <recv response="407"/>\n' + ACK_ERR)

uas('uas_early_media.xml','Sends early media (183 with SDP), then answers and waits for the BYE.',
    '''  <send><![CDATA[
SIP/2.0 183 Session Progress
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=callee 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
a=sendrecv

]]></send>
  <pause milliseconds="300"/>
''' + uas_200('sendrecv') + '  <recv request="ACK"/>\n  <recv request="BYE"/>\n' + REPLY_200)

scenario('uac_dtmf.xml','An answered call in which the caller presses 1 (RFC 4733 events from the sip-tester pcap), then hangs up.',
    invite_with_auth() + '  <recv response="180" optional="true"/>\n  <recv response="183" optional="true"/>\n  <recv response="200" rrs="true"/>\n'
    + ack_2xx(2) + '''  <pause milliseconds="500"/>
  <nop>
    <action>
      <exec play_pcap_audio="pcap/dtmf_2833_1.pcap"/>
    </action>
  </nop>
  <pause milliseconds="1500"/>
''' + bye(3))

# A provider's calls: no credentials (the trunk trusts the provider's address, or the
# number is public), with the caller's identity asserted (P-Asserted-Identity).
def provider_invite(max_forwards=70):
    return ('  <send retrans="500"><![CDATA[\n'
        + invite(1, False).replace('Max-Forwards: 70\n', 'Max-Forwards: %d\nP-Asserted-Identity: <sip:[caller]@provider.example>\n' % max_forwards)
        + '\n]]></send>\n  <recv response="100" optional="true"/>\n')

scenario('uac_provider.xml','A provider\'s call, without credentials: answered, held for -d milliseconds, then hung up by the caller.',
    provider_invite() + '  <recv response="180" optional="true"/>\n  <recv response="183" optional="true"/>\n  <recv response="200" rtd="true" rrs="true"/>\n'
    + ack_2xx(1) + '  <pause/>\n' + bye(2))

for code, mf, doc in [(404, 70, 'the number leads nowhere the trunk may reach'),
                      (407, 70, 'nobody identified the caller: challenged, and it has no credentials'),
                      (483, 0, 'Max-Forwards is 0 (a loop)'),
                      (503, 70, 'the trunk carries its maximum of calls')]:
    scenario('uac_provider_%d.xml' % code, 'A provider\'s call without credentials, refused with %d: %s.' % (code, doc),
        provider_invite(mf) + '  <recv response="180" optional="true"/>\n  <recv response="%d"/>\n' % code
        + ACK_ERR.replace('CSeq: 2 ACK', 'CSeq: 1 ACK'))
