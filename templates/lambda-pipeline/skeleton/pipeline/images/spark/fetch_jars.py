"""Downloads the jars of ``jars.lock`` into Spark's jars directory.

Usage: ``fetch_jars.py LOCK REPOSITORY TARGET``. Each line of LOCK is
``<sha256>  <path in a Maven repository>``; a jar whose checksum differs, or
that Spark already ships under the same name, stops the build.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
import urllib.request


def locked_jars(lock: str) -> list[tuple[str, str]]:
    jars = []
    with open(lock, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                sha256, path = line.split()
                jars.append((sha256, path))
    return jars


def download(url: str, target: str, expected: str) -> None:
    """Streams url into target, checking its SHA-256; three attempts."""
    for attempt in (1, 2, 3):
        digest = hashlib.sha256()
        partial = tempfile.NamedTemporaryFile(dir=os.path.dirname(target), delete=False)
        try:
            with partial, urllib.request.urlopen(url, timeout=120) as response:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    digest.update(chunk)
                    partial.write(chunk)
        except OSError as error:
            os.unlink(partial.name)
            if attempt == 3:
                sys.exit(f"could not download {url}: {error}")
            time.sleep(5 * attempt)
            continue
        if digest.hexdigest() != expected:
            os.unlink(partial.name)
            sys.exit(f"{url}: SHA-256 {digest.hexdigest()}, but jars.lock says {expected}")
        os.chmod(partial.name, 0o644)
        os.rename(partial.name, target)
        return


def main(lock: str, repository: str, target: str) -> None:
    jars = locked_jars(lock)
    for sha256, path in jars:
        destination = os.path.join(target, os.path.basename(path))
        if os.path.exists(destination):
            sys.exit(f"{destination} is already in the base image: drop it from jars.lock")
        download(f"{repository.rstrip('/')}/{path}", destination, sha256)
        print(f"{os.path.basename(path)}: SHA-256 checked", flush=True)
    print(f"{len(jars)} jars added to {target}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
