"""A persistent session: subscribe at QoS 1, disconnect, a message is published meanwhile,
reconnect without a clean session and receive it.
Usage: persistent.py <port> <311|5> <topic>"""

import sys

from common import PROTOCOLS, Recorder, connect, make_client, publish, report, stop

port, version, topic = int(sys.argv[1]), sys.argv[2], sys.argv[3]
protocol = PROTOCOLS[version]
client_id = f"paho-persistent-{version}"

first = Recorder(make_client(client_id, protocol, clean_session=False))
connect(first.client, port, protocol, clean=False, session_expiry=300)
first.wait(first.connected, "first CONNACK")
first.client.subscribe(topic, qos=1)
first.wait(first.subscribed, "SUBACK")
stop(first)

publisher = Recorder(make_client(f"paho-persistent-pub-{version}", protocol))
connect(publisher.client, port, protocol)
publisher.wait(publisher.connected, "publisher CONNACK")
publish(publisher.client, topic, "queued while offline", 1, protocol)
stop(publisher)

second = Recorder(make_client(client_id, protocol, clean_session=False))
connect(second.client, port, protocol, clean=False, session_expiry=300)
second.wait(second.connected, "second CONNACK")
second.wait_messages(1)
stop(second)

report({"first": first.connack, "second": second.connack, "messages": second.messages})
