#!/usr/bin/env python3
"""A notification subscriber we did not write: python-hl7's MLLP server receives the service's
identity-change messages, hl7apy checks each one's structure against HL7 v2.5, and each message is
written as one JSON line. The tests of `NotificationDelivery` run it (Scripts/clients-env.sh makes its
environment).

Usage:  $(Scripts/clients-env.sh) Scripts/hl7-subscriber.py --out FILE [--port P] [--refuse CONTROL_ID ...]

Prints "listening PORT" once it listens (port 0: a free one). It exits when its standard input
closes (the tests keep a pipe open to it); by hand, keep stdin open: `sleep infinity | ...`. Each message is answered AA when its
structure is valid, AR with hl7apy's reason when it is not, and AE ("patient not known here") when its
control id is one of --refuse. Each line of FILE: {"controlId", "type", "structure", "valid",
"problem", "text"}.

ITI-10 asks the PIX manager to send PID-5 (patient name, required by HL7) as a single space: the
notification is about identifiers, not demographics. hl7apy drops whitespace-only fields and would
then report PID-5 missing, so a PID-5 that is exactly one space is counted as present.
"""
import argparse
import asyncio
import json
import os
import sys
import threading

import hl7
import hl7.mllp
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy import load_reference
from hl7apy.parser import parse_message, parse_segment


def validate(text):
    """hl7apy's verdict on the message's structure: None when valid, else the reason."""
    try:
        parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True).validate()
        return None
    except Exception as error:  # hl7apy raises several kinds; each is a reason to refuse
        reason = str(error)
        if "max limit" in reason and reason.startswith("Cannot add <Segment"):
            return validate_in_order(text)
        return reason


def validate_in_order(text):
    """For structures that name one segment twice (ADT_A24 and ADT_A37: PID, then PID again for the
    second patient), which hl7apy's parser cannot place: the segments are checked against hl7apy's own
    v2.5 reference of the structure, in order and with its cardinalities, and each segment is
    validated by hl7apy on its own."""
    segments = text.strip("\r").split("\r")
    structure = segments[0].split("|")[8].split("^")[2]
    reference = load_reference(structure, "Message", "2.5")[1]
    position = 0
    for name, _, (least, most), _ in reference:
        found = 0
        while position < len(segments) and segments[position][:3] == name[:3] and (most == -1 or found < most):
            found += 1
            position += 1
        if found < least:
            return f"{structure}: missing required segment {name[:3]}"
    if position < len(segments):
        return f"{structure}: segment {segments[position][:3]} is not allowed at position {position + 1}"
    for segment in segments:
        try:
            parse_segment(segment, version="2.5", validation_level=VALIDATION_LEVEL.STRICT).validate()
        except Exception as error:
            return str(error)
    return None


def check(text):
    """As `validate`, with ITI-10's single-space PID-5 counted as present (see above)."""
    segments = text.strip("\r").split("\r")
    pids = [segment.split("|") for segment in segments if segment.startswith("PID|")]
    if pids and all(len(fields) > 5 and fields[5] == " " for fields in pids):
        segments = ["|".join(fields[:5] + ["ITI-10 SPACE"] + fields[6:]) if fields[0] == "PID" else "|".join(fields)
                    for fields in (segment.split("|") for segment in segments)]
    return validate("\r".join(segments))


def exit_when_stdin_closes():
    """The process that started it is gone when its stdin closes: exit then, so a test that did not
    stop it leaves nothing running."""
    sys.stdin.buffer.read()
    os._exit(0)


async def main():
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    options = argparse.ArgumentParser()
    options.add_argument("--out", required=True)
    options.add_argument("--port", type=int, default=0)
    options.add_argument("--refuse", nargs="*", default=[])
    arguments = options.parse_args()
    refused = set(arguments.refuse)
    out = open(arguments.out, "a", buffering=1)

    async def conversation(reader, writer):
        try:
            while not reader.at_eof():
                message = await reader.readmessage()
                text = str(message)
                control_id = str(message.segment("MSH")[10])
                problem = check(text)
                out.write(json.dumps({"controlId": control_id, "type": str(message["MSH.F9.R1.C2"]),
                                      "structure": str(message["MSH.F9.R1.C3"]),
                                      "valid": problem is None, "problem": problem, "text": text}) + "\n")
                if control_id in refused:
                    ack = message.create_ack("AE", message_id="ACK-" + control_id)
                    ack["MSA.F3"] = "patient not known here"
                elif problem:
                    ack = message.create_ack("AR", message_id="ACK-" + control_id)
                    ack["MSA.F3"] = problem[:200]
                else:
                    ack = message.create_ack("AA", message_id="ACK-" + control_id)
                writer.writemessage(ack)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionResetError):
            pass
        finally:
            writer.close()

    server = await hl7.mllp.start_hl7_server(conversation, host="127.0.0.1", port=arguments.port)
    print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
