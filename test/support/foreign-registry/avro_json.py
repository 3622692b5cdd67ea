"""JSON <-> the values Debian's python3-avro 1.11 reads and writes, for the two scripts beside it.

python3-avro insists on datetime objects for timestamp-millis longs; our JSON (like the
project's own) carries epoch milliseconds. Everything else passes through unchanged.
"""

import datetime

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
MILLISECOND = datetime.timedelta(milliseconds=1)


def _is_timestamp_millis(schema):
    return getattr(schema, "type", None) == "long" and schema.get_prop("logicalType") == "timestamp-millis"


def from_json(schema, datum):
    """A JSON-decoded value (epoch milliseconds for timestamps) as python3-avro writes it."""
    kind = schema.type
    if kind == "record" and isinstance(datum, dict):
        return {f.name: from_json(f.type, datum[f.name]) for f in schema.fields if f.name in datum}
    if kind == "array" and isinstance(datum, list):
        return [from_json(schema.items, item) for item in datum]
    if kind == "map" and isinstance(datum, dict):
        return {k: from_json(schema.values, v) for k, v in datum.items()}
    if kind == "union" and datum is not None:
        for branch in schema.schemas:
            if branch.type == "record" and isinstance(datum, dict):
                return from_json(branch, datum)
            if branch.type == "array" and isinstance(datum, list):
                return from_json(branch, datum)
            if _is_timestamp_millis(branch) and isinstance(datum, int):
                return from_json(branch, datum)
        return datum
    if _is_timestamp_millis(schema) and isinstance(datum, int):
        return EPOCH + datum * MILLISECOND
    return datum


def to_json_default(value):
    """json.dumps default=: decoded timestamps back to epoch milliseconds (exact, no floats)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return (value - EPOCH) // MILLISECOND
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
