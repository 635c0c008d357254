"""One subscriber and one publisher: subscribe at QoS q, publish at QoS q, receive it.
Usage: pubsub.py <port> <311|5> <qos> <topic>"""

import sys

from common import PROTOCOLS, Recorder, connect, make_client, publish, report, stop

port, version, qos, topic = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
protocol = PROTOCOLS[version]

subscriber = Recorder(make_client(f"paho-sub-{version}-{qos}", protocol))
connect(subscriber.client, port, protocol)
subscriber.wait(subscriber.connected, "subscriber CONNACK")
subscriber.client.subscribe(topic, qos=qos)
subscriber.wait(subscriber.subscribed, "SUBACK")

publisher = Recorder(make_client(f"paho-pub-{version}-{qos}", protocol))
connect(publisher.client, port, protocol)
publisher.wait(publisher.connected, "publisher CONNACK")
publish(publisher.client, topic, f"paho {version} qos {qos}", qos, protocol, user_properties=[("origin", "paho")])
subscriber.wait_messages(1)

stop(publisher)
stop(subscriber)
report({"connack": subscriber.connack, "granted": subscriber.granted, "messages": subscriber.messages})
