"""A real SMTP server for Keyward's tests (aiosmtpd), on loopback.

Every message it accepts is written to DIR as a .eml file, atomically (a
.tmp file renamed), so a test can read what Keyward sent exactly as a mail
client would receive it.

usage: smtp_sink.py DIR [PORT]   (PORT 0 or absent: any free port)
Prints "READY <port>" once listening.
"""

import asyncio
import itertools
import os
import sys
import time

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{next(self.counter)}.eml"
        tmp = os.path.join(self.directory, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 Message accepted"


async def main():
    directory = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    os.makedirs(directory, exist_ok=True)
    handler = Handler(directory)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="keyward-test-smtp"), "127.0.0.1", port, reuse_address=True
    )
    print("READY", server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
