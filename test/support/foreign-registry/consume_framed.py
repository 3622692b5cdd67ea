#!/usr/bin/python3
"""Read a topic from the beginning with a registry-aware foreign consumer and print the values.

Uses Debian's python3-confluent-kafka 1.7 legacy deserializer (confluent_kafka.avro.AvroConsumer):
each value's schema id (Confluent wire format) is looked up in the registry and the value decoded
with that writer schema (or resolved to --reader-schema). Run it with /usr/bin/python3.

    consume_framed.py --brokers HOST:PORT --registry URL --topic T --count N [--timeout S]

Prints one JSON line per record, {"key", "value", "partition", "offset"} (keys as UTF-8 text,
not decoded: this project's keys are plain strings; timestamps as epoch milliseconds), and stops after N records or S seconds (default 30) without
reaching N: then it exits 3. A value it cannot decode (not framed, unknown id) exits 2.
"""

import argparse
import json
import os
import sys
import time
import uuid

from confluent_kafka.avro import AvroConsumer, loads
from confluent_kafka.avro.serializer import SerializerError

from avro_json import to_json_default


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--registry", required=True, help="the Confluent-compatible API base URL")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds")
    parser.add_argument("--reader-schema", help="resolve every value to this schema (.avsc)")
    args = parser.parse_args()

    config = {
        "bootstrap.servers": args.brokers,
        "schema.registry.url": args.registry,
        "group.id": "foreign-consumer-" + uuid.uuid4().hex,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "log_level": 3,
    }
    if os.environ.get("SCHEMA_REGISTRY_USERNAME"):
        config["schema.registry.basic.auth.credentials.source"] = "USER_INFO"
        config["schema.registry.basic.auth.user.info"] = "{}:{}".format(
            os.environ["SCHEMA_REGISTRY_USERNAME"], os.environ.get("SCHEMA_REGISTRY_PASSWORD", "")
        )
    reader = None
    if args.reader_schema:
        with open(args.reader_schema, encoding="utf-8") as f:
            reader = loads(f.read())
    # Keys stay bytes: this project's keys are plain strings, not framed Avro.
    consumer = AvroConsumer(config, reader_value_schema=reader)
    consumer._serializer.decode_message = _values_only(consumer._serializer.decode_message)
    consumer.subscribe([args.topic])

    seen = 0
    deadline = time.monotonic() + args.timeout
    try:
        while seen < args.count and time.monotonic() < deadline:
            try:
                msg = consumer.poll(0.5)
            except SerializerError as error:
                print("consume_framed: " + str(error), file=sys.stderr)
                sys.exit(2)
            if msg is None:
                continue
            if msg.error():
                print("consume_framed: " + str(msg.error()), file=sys.stderr)
                continue
            key = msg.key()
            line = {
                "key": key.decode("utf-8", "replace") if isinstance(key, bytes) else key,
                "value": msg.value(),
                "partition": msg.partition(),
                "offset": msg.offset(),
            }
            print(json.dumps(line, default=to_json_default), flush=True)
            seen += 1
    finally:
        consumer.close()
    if seen < args.count:
        print("consume_framed: read {} of {} records in {} s".format(seen, args.count, args.timeout), file=sys.stderr)
        sys.exit(3)


def _values_only(decode):
    def decode_values(data, is_key=False):
        return data if is_key else decode(data, is_key=is_key)

    return decode_values


if __name__ == "__main__":
    main()
