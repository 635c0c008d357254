"""Helpers shared by the paho interop scripts: a client for paho-mqtt 1.6 or 2.x, waiting with
deadlines, and one JSON line of results on stdout for the Node test to parse."""

import json
import sys
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

PROTOCOLS = {"311": mqtt.MQTTv311, "5": mqtt.MQTTv5}
TIMEOUT = 10.0


def make_client(client_id, protocol, clean_session=None):
    """paho 2.x needs a CallbackAPIVersion; 1.6 has none. MQTT 5 takes clean_start at connect instead."""
    kwargs = {"client_id": client_id, "protocol": protocol}
    if protocol != mqtt.MQTTv5 and clean_session is not None:
        kwargs["clean_session"] = clean_session
    if hasattr(mqtt, "CallbackAPIVersion"):
        return mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, **kwargs)
    return mqtt.Client(**kwargs)


class Recorder:
    """Records CONNACK, SUBACK and messages of one client; each wait has a deadline."""

    def __init__(self, client):
        self.client = client
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.disconnected = threading.Event()
        self.connack = None
        self.granted = None
        self.messages = []
        self.message_count = threading.Condition()
        client.on_connect = self.on_connect
        client.on_subscribe = self.on_subscribe
        client.on_message = self.on_message
        client.on_disconnect = self.on_disconnect

    def on_connect(self, client, userdata, flags, rc, properties=None):
        session_present = flags.get("session present", 0) if isinstance(flags, dict) else getattr(flags, "session_present", 0)
        self.connack = {"reasonCode": int(getattr(rc, "value", rc)), "sessionPresent": int(session_present)}
        self.connected.set()

    def on_disconnect(self, client, userdata, *rest):
        self.disconnected.set()

    def on_subscribe(self, client, userdata, mid, granted, properties=None):
        self.granted = [int(getattr(code, "value", code)) for code in granted]
        self.subscribed.set()

    def on_message(self, client, userdata, message):
        entry = {
            "topic": message.topic,
            "payload": message.payload.decode("utf-8"),
            "qos": message.qos,
            "retain": int(message.retain),
        }
        user_properties = getattr(getattr(message, "properties", None), "UserProperty", None)
        if user_properties is not None:
            entry["userProperties"] = [list(pair) for pair in user_properties]
        with self.message_count:
            self.messages.append(entry)
            self.message_count.notify_all()

    def wait(self, event, what):
        if not event.wait(TIMEOUT):
            fail(f"timed out waiting for {what}")

    def wait_messages(self, count):
        with self.message_count:
            if not self.message_count.wait_for(lambda: len(self.messages) >= count, TIMEOUT):
                fail(f"timed out waiting for {count} messages, got {self.messages}")


def connect(client, port, protocol, clean=True, session_expiry=None):
    if protocol == mqtt.MQTTv5:
        properties = None
        if session_expiry is not None:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = session_expiry
        client.connect("127.0.0.1", port, keepalive=30, clean_start=clean, properties=properties)
    else:
        client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()


def publish(client, topic, payload, qos, protocol, user_properties=None):
    properties = None
    if protocol == mqtt.MQTTv5 and user_properties:
        properties = Properties(PacketTypes.PUBLISH)
        properties.UserProperty = user_properties
    info = client.publish(topic, payload, qos=qos, properties=properties)
    info.wait_for_publish(TIMEOUT)
    if not info.is_published():
        fail(f"PUBLISH to {topic} at QoS {qos} was not acknowledged")


def stop(recorder):
    """DISCONNECT, and wait until paho has sent it and closed the socket."""
    recorder.client.disconnect()
    recorder.wait(recorder.disconnected, "the disconnection")
    recorder.client.loop_stop()


def fail(message):
    print(json.dumps({"error": message}))
    sys.stdout.flush()
    # Threads of paho's network loop would keep the process alive.
    import os
    os._exit(1)


def report(result):
    print(json.dumps(result))
    sys.stdout.flush()
