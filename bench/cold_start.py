"""Cold start of every function, measured side by side with the floor: the least a Lambda
function in Rust can do to answer with the same DynamoDB requests.

    make bench-cold                                   # build, measure, print, write bench/results/
    BENCH_SPAWNS=30 BENCH_WARM=50 make bench-cold     # more samples
    BENCH_COMPARE=DIR[:DIR...] make bench-cold       # also measure DIR/<function>/bootstrap,
                                                      # e.g. an older commit's or another
                                                      # profile's bootstraps (labelled by DIR's
                                                      # name, described by DIR/BUILD.txt if any)

It builds the release bootstraps exactly as they are deployed (`cargo lambda build --release`, for
this machine's architecture) together with `bench/bare-function` (a `lambda_runtime` function that
does nothing) and `bench/floor-function` (no SDK: one HTTP/1.1 connection on rustls/ring with
pre-parsed roots, made during init, and SigV4 by hand), all with the same profile, and starts the
local store in memory (`devstack`'s `local-store`). First each function runs once and the requests
of one warm invocation are recorded (target and body): the floor replays exactly those for that
function, so every ratio to the floor compares the same store work. Then every process is spawned
BENCH_SPAWNS times (default 15) against a stand-in of the Lambda Runtime API, in both store modes:

- `http`: the store over plain HTTP;
- `tls`: the store behind a local TLS terminator whose certificate comes from a throwaway CA,
  trusted through `SSL_CERT_FILE` (on AWS the connection pays a TLS handshake too).

Both store endpoints are a small proxy in this script that counts the DynamoDB requests (by
`X-Amz-Target`) each process makes during init and during each invocation. Spawns are interleaved
across processes, so that the machine's noise falls on all of them alike: the ratios measured in
one run are what means something on a shared machine, not the absolute times.

Per spawn: init = spawn to the first `GET /runtime/invocation/next`; first invocation = that
request to the function's response (the event is already waiting, as on a cold start); cold =
init + first. CPU time is read from the kernel's accounting of every thread of the process
(`/proc/<pid>/task/*/schedstat`) when each `/next` arrives and when each response arrives (the
process is waiting then), so init's, the first invocation's and each warm invocation's CPU are
told apart; page faults likewise from `/proc/<pid>/stat`. Then BENCH_WARM (default 30) warm
invocations, one at a time; peak RSS is the process's VmHWM after them. Zipped = the bootstrap
alone, deflated, as the deploy package holds it. The estimate at 128 MB stretches the first
invocation's CPU time by the handler's CPU share there (Lambda gives init the whole CPU).

The stand-in Runtime API (the subset of the Lambda Runtime API the functions use), on 127.0.0.1:
  GET  /2018-06-01/runtime/invocation/next            the next event; blocks until there is one.
       Headers: Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn, -Trace-Id.
  POST /2018-06-01/runtime/invocation/{id}/response   the function's result        -> 202
  POST /2018-06-01/runtime/invocation/{id}/error      the invocation failed        -> 202
  POST /2018-06-01/runtime/init/error                 init failed                  -> 202
"""

import asyncio
import collections
import datetime
import io
import json
import os
import platform
import queue
import random
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "cold-start.md"
SPAWNS = int(os.environ.get("BENCH_SPAWNS") or "15")
WARM = int(os.environ.get("BENCH_WARM") or "30")
COMPARE = os.environ.get("BENCH_COMPARE") or ""
BARE = "bare-function"
FLOOR = "floor-function"
# The functions, each with its sample event, how many DynamoDB requests one invocation must make
# and the status it must answer with (the consumer: a batch with no failures). The writers run
# before the readers and delete after them (PLACE), so that the readers find what they read.
FUNCTIONS = [
    ("upsert-customer", "upsert-customer.json", 1, 200),
    ("get-customer", "get-customer.json", 1, 200),
    ("get-customer-logs", "get-customer-logs.json", 1, 200),
    ("get-log", "get-log.json", 1, 200),
    ("get-log-events", "get-log-events.json", 1, 200),
    ("delete-customer", "delete-customer.json", 1, 200),
    # Per message: the erased-list GetItem, then the log's UpdateItem and the history's PutItem
    # together, and for the open also its count's UpdateItem (three messages, one an open).
    ("record-email-event", "record-email-event.json", 10, None),
    ("route-not-found", "route-not-found.json", 0, 404),
    # The sample batch: a create and a fetch.
    ("batch", "batch.json", 2, 200),
]
CONSUMER = "record-email-event"
PLACE = {"upsert-customer": 0, "record-email-event": 0, "delete-customer": 2}
API_KEY = "local-dev-key"
# Lambda gives a function CPU in proportion to its memory, one whole vCPU at 1,769 MB, and init
# the whole CPU: at the template's 128 MB a millisecond of the handler's CPU takes about 14.
HANDLER_CPU_SHARE = 128 / 1769
# Ratios to the floor doing the same requests (issue 22), and the deploy package's size.
TARGETS = {"cold_tls": 1.15, "cold_tls_consumer": 1.3, "first_cpu": 1.5, "warm": 1.15,
           "init": 1.3, "zip_mb": 2.5}


def target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")


def build():
    names = [name for name, *_ in FUNCTIONS] + [BARE, FLOOR]
    packages = [arg for name in names for arg in ("-p", name)]
    print("building the release bootstraps: cargo lambda build --release " + " ".join(packages),
          flush=True)
    subprocess.run(["cargo", "lambda", "build", "--release", *packages], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--quiet", "-p", "devstack", "--bin", "local-store"],
                   cwd=ROOT, check=True)


# ---------------------------------------------------------------------------------------------
# The store, and the counting proxy in front of it (plain and TLS).


# Each function's own variables (tables, key digest, retention), as local-store prints them from
# shared::config: the bench holds no copy of their names.
FUNCTION_ENV = {}


def start_store():
    store = subprocess.Popen([str(target_dir() / "debug" / "local-store")], cwd=ROOT,
                             env={**os.environ, "API_KEY": API_KEY},
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = store.stdout.readline().strip()
    env_line = store.stdout.readline().strip()
    if not line.startswith("ready http://") or not env_line.startswith("env "):
        store.kill()
        sys.exit(f"bench: the local store did not start ({line!r})")
    FUNCTION_ENV.update(json.loads(env_line.removeprefix("env ")))
    host, port = line.removeprefix("ready http://").rsplit(":", 1)
    return store, (host, int(port))


class CountingProxy:
    """Forwards HTTP/1.1 to the store and counts the requests by their `X-Amz-Target`."""

    def __init__(self, upstream, tls_context):
        self.upstream = upstream
        self.tls_context = tls_context
        self.counts = collections.Counter()
        # When a list: every request's (target, body) is appended to it (the floor's script).
        self.recording = None
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait()

    def total(self):
        with self.lock:
            return sum(self.counts.values())

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.plain = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.tls = self.loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls_context))
        self.http_port = self.plain.sockets[0].getsockname()[1]
        self.tls_port = self.tls.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    def stop(self):
        def close():
            self.plain.close()
            self.tls.close()
            self.loop.stop()
        self.loop.call_soon_threadsafe(close)
        self.thread.join(timeout=5)

    async def _serve(self, client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return
        back = asyncio.ensure_future(self._pipe(up_reader, client_writer))
        try:
            while True:
                head = await client_reader.readuntil(b"\r\n\r\n")
                length, target = 0, "?"
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                    elif name.strip().lower() == b"x-amz-target":
                        target = value.strip().decode()
                body = await client_reader.readexactly(length) if length else b""
                with self.lock:
                    self.counts[target] += 1
                    if self.recording is not None:
                        self.recording.append((target, body.decode()))
                up_writer.write(head + body)
                await up_writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, ValueError):
            pass
        finally:
            back.cancel()
            up_writer.close()
            client_writer.close()

    @staticmethod
    async def _pipe(reader, writer):
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass


# ---------------------------------------------------------------------------------------------
# The stand-in Lambda Runtime API.


class RuntimeApi(ThreadingHTTPServer):
    """The Runtime API of one spawned process: a server of its own on a fresh port, so that a
    request a stopped process left in flight can never take the next process's event."""

    daemon_threads = True

    def __init__(self, store_requests=lambda: 0):
        super().__init__(("127.0.0.1", 0), RuntimeHandler)
        self.events = queue.Queue()
        self.responses = queue.Queue()
        self.first_next = None
        self.asked = threading.Event()
        # The process's counters (CPU time, page faults) at each `GET /next` as it arrives, and
        # the store requests it had made by its first (init's).
        self.counters_at_next = []
        self.store_requests = store_requests
        self.init_requests = None
        self.pid = None
        self.spawned = threading.Event()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def address(self):
        return f"127.0.0.1:{self.server_address[1]}"

    def close(self):
        self.events.put(None)
        self.shutdown()
        self.server_close()

    def handle_error(self, request, client_address):
        pass  # a killed process resets its connections; that is the point of killing it


class RuntimeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without it, a reply written in two segments waits for the client's delayed ACK (40 ms).
    disable_nagle_algorithm = True
    PREFIX = "/2018-06-01/runtime/"

    def log_message(self, *args):
        pass

    def do_GET(self):
        arrived = time.perf_counter()
        session = self.server
        if self.path != self.PREFIX + "invocation/next":
            return self._reply(404)
        session.spawned.wait(10)
        session.counters_at_next.append(counters(session.pid))
        if session.first_next is None:
            session.init_requests = session.store_requests()
            session.first_next = arrived
            session.asked.set()
        event = session.events.get()
        if event is None:  # the process was stopped while waiting
            self.close_connection = True
            return self._reply(410)
        request_id, body = event
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                         "arn:aws:lambda:us-east-1:123456789012:function:bench")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        arrived = time.perf_counter()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.removeprefix(self.PREFIX)
        counted = counters(self.server.pid)  # before the 202: the process is waiting for it
        self._reply(202)
        if path == "init/error":
            self.server.responses.put((arrived, "init-error", body, counted))
        elif path.startswith("invocation/"):
            kind = path.rsplit("/", 1)[-1]
            self.server.responses.put((arrived, kind, body, counted))

    def _reply(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


# ---------------------------------------------------------------------------------------------
# Measuring one spawn.


class Failure(Exception):
    pass


def counters(pid):
    """(CPU time, page faults) of the process so far. The CPU time is every thread's, in ns: the
    first field of each thread's schedstat (the kernel's own accounting; stat's clock ticks are
    10 ms). The faults are stat's minor and major ones, every thread's."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        faults = int(fields[7]) + int(fields[9])
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        faults = 0
    return cpu_time_ns(pid), faults


def cpu_time_ns(pid):
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return 0
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            pass  # a thread that ended between the listing and the read
    return total


def lambda_env(name, runtime_api, endpoint, ca_file):
    env = {
        "PATH": "/usr/bin:/bin",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "_HANDLER": "bootstrap",
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/bench/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        **FUNCTION_ENV.get(name, {}),
    }
    if ca_file:
        env["SSL_CERT_FILE"] = ca_file
    return env


def check_response(subject, kind, body):
    name = subject["label"]
    if kind != "response":
        raise Failure(f"{name}: the invocation failed ({kind}): {body[:300]!r}")
    if subject["function"] == BARE:
        return
    reply = json.loads(body)
    if subject["function"] == FLOOR:
        # The store answered each request, and not with its own failure.
        if len(reply["statuses"]) != subject["requests"] or any(
                status >= 500 for status in reply["statuses"]):
            raise Failure(f"{name}: the store answered {reply['statuses']}")
    elif "statusCode" in reply:
        if reply["statusCode"] != subject["status"]:
            raise Failure(f"{name}: status {reply['statusCode']}: {reply.get('body')!r}")
    elif reply.get("batchItemFailures"):
        raise Failure(f"{name}: batch item failures: {reply['batchItemFailures']}")


def peak_rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def spawn_once(proxy, subject, mode, ca_file, log, warm_count=WARM, script=None):
    """One cold start of `subject` and `warm_count` warm invocations after it. With `script` (a
    list), the requests of the last invocation are appended to it as (target, body)."""
    name, event = subject["function"], subject["event"]
    endpoint = (f"https://127.0.0.1:{proxy.tls_port}" if mode == "tls"
                else f"http://127.0.0.1:{proxy.http_port}")
    session = api = RuntimeApi(proxy.total)
    counter = iter(range(1, 1_000_000))
    session.events.put((f"req-{next(counter)}", event))
    before = proxy.total()
    env = {**lambda_env(name, api.address, endpoint, ca_file if mode == "tls" else None),
           **subject.get("env", {})}
    started = time.perf_counter()
    process = subprocess.Popen([str(subject["path"])], env=env, stdout=log,
                               stderr=subprocess.STDOUT, cwd="/")
    session.pid = process.pid
    session.spawned.set()
    try:
        if not session.asked.wait(10):
            raise Failure(f"{name}: no GET /next within 10 s")
        init = session.first_next - started
        init_requests = session.init_requests - before
        try:
            answered, kind, body, counted = session.responses.get(timeout=15)
        except queue.Empty:
            raise Failure(f"{name}: no response to the first invocation within 15 s") from None
        check_response(subject, kind, body)
        first = answered - session.first_next
        (cpu_init, faults_init), (cpu, faults) = session.counters_at_next[0], counted
        cpu_first, faults_first = cpu - cpu_init, faults - faults_init
        requests = [proxy.total() - before - init_requests]
        warm, cpu_warm, faults_warm = [], [], []
        for index in range(1, warm_count + 1):
            before = proxy.total()
            if script is not None and index == warm_count:
                proxy.recording = script
            sent = time.perf_counter()
            session.events.put((f"req-{next(counter)}", event))
            answered, kind, body, (cpu, faults) = session.responses.get(timeout=15)
            proxy.recording = None
            check_response(subject, kind, body)
            warm.append(answered - sent)
            cpu_at_next, faults_at_next = session.counters_at_next[index]
            cpu_warm.append(cpu - cpu_at_next)
            faults_warm.append(faults - faults_at_next)
            requests.append(proxy.total() - before)
        rss = peak_rss_kib(process.pid)
    finally:
        process.kill()
        process.wait()
        api.close()
    return {"init": init, "first": first, "cold": init + first, "warm": warm,
            "cpu_init": cpu_init, "cpu_first": cpu_first, "cpu_warm": cpu_warm,
            "faults_init": faults_init, "faults_first": faults_first, "faults_warm": faults_warm,
            "rss_kib": rss, "requests": requests, "init_requests": init_requests}


def panic_check(bootstrap, log):
    """The release profile must unwind: a panic is the invocation's error, and the process goes on."""
    session = api = RuntimeApi()
    session.events.put(("panic-1", b'{"bench_panic": true}'))
    session.events.put(("after-panic", b"{}"))
    process = subprocess.Popen([bootstrap], env=lambda_env(BARE, api.address, "http://127.0.0.1:9", None),
                               stdout=log, stderr=subprocess.STDOUT, cwd="/")
    session.pid = process.pid
    session.spawned.set()
    try:
        outcomes = [session.responses.get(timeout=10)[1] for _ in range(2)]
    except queue.Empty:
        outcomes = ["no answer: the process died"]
    finally:
        process.kill()
        process.wait()
        api.close()
    if outcomes != ["error", "response"]:
        raise Failure(f"a panicking handler gave {outcomes}, not an invocation error and then a "
                      "served invocation: is the release profile's panic strategy unwind?")
    return "a panic was reported as the invocation's error, and the process served the next one"


# For scale, what other runtimes spend before their first line of handler code can run: each
# command is timed from spawn to exit, in the same run (Python with boto3 is in the project's venv).
REFERENCES = [
    ("python3 + boto3 DynamoDB client", [sys.executable, "-c",
     "import boto3; boto3.client('dynamodb', region_name='us-east-1',"
     " aws_access_key_id='x', aws_secret_access_key='y')"]),
    ("node, empty script", ["node", "-e", "0"]),
]


def reference_starts():
    found = []
    for label, command in REFERENCES:
        if not shutil.which(command[0]):
            continue
        times = []
        for _ in range(max(5, SPAWNS // 2)):
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd="/")
            times.append(time.perf_counter() - started)
        found.append((label, median_ms(times)))
    return found


def zipped_bytes(path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, Path(path).read_bytes())
    return len(buffer.getvalue())


# ---------------------------------------------------------------------------------------------
# The run, and its report.


def subjects():
    """What is measured: the bare function, each function, the floor doing each function's
    requests (its script is recorded at the start of the run), and any BENCH_COMPARE builds."""
    lambda_dir = target_dir() / "lambda"
    on_disk = sorted(path.name for path in (ROOT / "functions").iterdir())
    if on_disk != sorted(name for name, *_ in FUNCTIONS):
        sys.exit(f"bench: functions/ holds {on_disk}; FUNCTIONS in {__file__} must list each")
    events = {name: (ROOT / "events" / file).read_bytes() for name, file, *_ in FUNCTIONS}
    events[CONSUMER] = sent_recently(events[CONSUMER])
    found = [{"label": BARE, "function": BARE, "kind": "bare", "path": lambda_dir / BARE / "bootstrap",
              "event": events["get-customer"], "requests": 0}]
    for name, _, requests, status in FUNCTIONS:
        common = {"event": events[name], "requests": requests, "status": status}
        found.append({"label": name, "function": name, "kind": "function",
                      "path": lambda_dir / name / "bootstrap", **common})
        found.append({"label": f"floor: {name}", "function": FLOOR, "kind": "floor", "of": name,
                      "path": lambda_dir / FLOOR / "bootstrap", **common})
        for directory in filter(None, COMPARE.split(":")):
            path = Path(directory) / name / "bootstrap"
            if path.exists():
                found.append({"label": f"{name} ({Path(directory).name})", "function": name,
                              "kind": "compare", "of": name, "path": path, **common})
    for subject in found:
        if not subject["path"].exists():
            sys.exit(f"bench: {subject['path']} is missing (build {subject['label']} first)")
    return found


def sent_recently(sample):
    """The consumer's sample moved to an hour ago: sent in 2009, its logs would be past the
    deployed retention, and get-log and get-log-events would find nothing to answer with."""
    event = json.loads(sample)
    shift = int(time.time()) - 3600 - min(json.loads(r["body"])["created"] for r in event["Records"])
    for record in event["Records"]:
        body = json.loads(record["body"])
        for key in ("created", "at"):
            if key in body:
                body[key] += shift
        record["body"] = json.dumps(body)
    return json.dumps(event).encode()


def median_ms(values):
    return statistics.median(values) * 1000


def record_scripts(found, proxy, ca_file, log_path):
    """Each function's requests in one warm invocation, as its floor replays them."""
    floors = {subject["of"]: subject for subject in found if subject["kind"] == "floor"}
    for subject in found:
        if subject["kind"] != "function":
            continue
        script = []
        run_subject(proxy, subject, "http", ca_file, log_path, warm_count=1, script=script)
        if len(script) != subject["requests"]:
            sys.exit(f"bench: {subject['label']} made {len(script)} store requests, not "
                     f"{subject['requests']}: {[target for target, _ in script]}")
        floors[subject["label"]]["env"] = {"FLOOR_REQUESTS": json.dumps(script)}


def run_subject(proxy, subject, mode, ca_file, log_path, **options):
    with open(log_path, "wb") as log:
        try:
            return spawn_once(proxy, subject, mode, str(ca_file), log, **options)
        except Failure as failure:
            log.flush()
            tail = log_path.read_text(errors="replace")[-2000:]
            sys.exit(f"bench: {failure}\n--- the process's output ---\n{tail}")


def run():
    if os.environ.get("BENCH_NO_BUILD") != "1":
        build()
    found = subjects()
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1")
    tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_context.set_alpn_protocols(["http/1.1"])
    certificate.configure_cert(tls_context)
    workdir = Path(tempfile.mkdtemp(prefix="bench-cold-"))
    ca_file = workdir / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    store, upstream = start_store()
    proxy = CountingProxy(upstream, tls_context)
    samples = collections.defaultdict(list)
    log_path = workdir / "function.log"
    try:
        with open(log_path, "wb") as log:
            try:
                panic = panic_check(str(found[0]["path"]), log)
            except Failure as failure:
                sys.exit(f"bench: {failure}")
        order = sorted(found, key=lambda subject: PLACE.get(subject.get("of", subject["label"]), 1))
        record_scripts(order, proxy, ca_file, log_path)
        for spawn in range(SPAWNS):
            order = list(found)
            # Writers before the readers and delete after them; the rest, bare included, shuffled.
            random.Random(spawn).shuffle(order)
            order.sort(key=lambda subject: PLACE.get(subject.get("of", subject["label"]), 1))
            for mode in ("http", "tls"):
                for subject in order:
                    samples[(subject["label"], mode)].append(
                        run_subject(proxy, subject, mode, ca_file, log_path))
            print(f"  spawn {spawn + 1}/{SPAWNS} done", flush=True)
    finally:
        proxy.stop()
        store.stdin.close()
        store.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    return summarise(found, samples), panic, reference_starts()


def summarise(found, samples):
    rows = {}
    for subject in found:
        http, tls = samples[(subject["label"], "http")], samples[(subject["label"], "tls")]
        rows[subject["label"]] = {
            **subject,
            "init": median_ms([s["init"] for s in http + tls]),
            "init_tls": median_ms([s["init"] for s in tls]),
            "cold_http": median_ms([s["cold"] for s in http]),
            "cold_tls": median_ms([s["cold"] for s in tls]),
            "first_tls": median_ms([s["first"] for s in tls]),
            "warm": median_ms([w for s in tls for w in s["warm"]]),
            "cpu_init": statistics.median(s["cpu_init"] for s in tls) / 1e6,
            "cpu_first": statistics.median(s["cpu_first"] for s in tls) / 1e6,
            "cpu_warm": statistics.median(c for s in tls for c in s["cpu_warm"]) / 1e6,
            # The cold request over TLS as it would take at 128 MB: init as measured, and the
            # first invocation with its CPU time stretched by the handler's share (its waits kept).
            "cold_128": statistics.median(
                s["cold"] * 1000 + (1 / HANDLER_CPU_SHARE - 1) * s["cpu_first"] / 1e6 for s in tls),
            "faults": [statistics.median(s[key] for s in tls) for key in ("faults_init",
                       "faults_first")] + [statistics.median(f for s in tls for f in s["faults_warm"])],
            "rss_mb": statistics.median(s["rss_kib"] for s in http + tls) / 1024,
            "zip_mb": zipped_bytes(subject["path"]) / 1e6,
            "requests_seen": sorted({r for s in http + tls for r in s["requests"]}),
            "init_requests": sorted({s["init_requests"] for s in http + tls}),
        }
    return rows


def machine():
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{platform.machine()}, {model}, {os.cpu_count()} cores, Linux {platform.release()}"


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def misses(row, floor):
    """The targets `row` misses against its floor, each with its numbers."""
    found = []
    cold_target = TARGETS["cold_tls_consumer" if row["label"] == CONSUMER else "cold_tls"]
    for key, target, what in [("cold_tls", cold_target, "cold over TLS"),
                              ("warm", TARGETS["warm"], "warm"), ("init", TARGETS["init"], "init")]:
        if row[key] / floor[key] > target:
            found.append(f"{what} {row[key] / floor[key]:.2f}× the floor's > {target}×")
    if row["cpu_first"] / row["cpu_warm"] > TARGETS["first_cpu"]:
        found.append(f"first-invocation CPU {row['cpu_first'] / row['cpu_warm']:.2f}× a warm one's"
                     f" > {TARGETS['first_cpu']}×")
    if row["zip_mb"] > TARGETS["zip_mb"]:
        found.append(f"zipped {row['zip_mb']:.2f} MB > {TARGETS['zip_mb']} MB")
    if row["requests_seen"] != [row["requests"]]:
        found.append(f"store requests {row['requests_seen']} != [{row['requests']}]")
    return found


def report(rows):
    bare = rows[BARE]
    lines = [
        "Every process, absolute (this machine's milliseconds; the ratios below are the result)."
        " Cold = init + first invocation; CPU = every thread's, from the kernel's schedstat;"
        " warm and CPU are over TLS.",
        "",
        "| process | init ms | cold, store over HTTP, ms | cold, store over TLS, ms | warm p50 ms"
        " | init CPU ms | first-invocation CPU ms | warm CPU ms | page faults: init, first, warm"
        " | peak RSS MB | zipped MB | store requests: init, per invocation |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for row in rows.values():
        lines.append(
            f"| {row['label']} | {row['init']:.2f} | {row['cold_http']:.2f} | {row['cold_tls']:.2f}"
            f" | {row['warm']:.3f} | {row['cpu_init']:.2f} | {row['cpu_first']:.3f} |"
            f" {row['cpu_warm']:.3f} | {', '.join(f'{f:.0f}' for f in row['faults'])} |"
            f" {row['rss_mb']:.1f} | {row['zip_mb']:.2f} |"
            f" {', '.join(map(str, row['init_requests']))}; "
            f"{', '.join(map(str, row['requests_seen']))} |")
    lines += [
        "",
        "Each function against the floor doing its requests (×floor) and against the bare function"
        " (×bare), in the same run; first CPU ×warm is the first invocation's CPU time over a warm"
        " invocation's. On AWS at 128 MB the handler gets about 1/14 of a vCPU and init a whole"
        " one, so each millisecond of first-invocation CPU costs about fourteen of init's: the"
        " estimate at 128 MB is the cold request over TLS with the first invocation's CPU time"
        " stretched so (a model of this run, not a measurement on AWS).",
        "",
        "| function | init ×floor | ×bare | cold over TLS ×floor | ×bare | warm ×floor |"
        " first CPU ×warm | floor's first CPU ×warm | est. cold at 128 MB, ms | ×floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    checks = []
    for row in rows.values():
        if row["kind"] != "function":
            continue
        floor = rows[f"floor: {row['label']}"]
        lines.append(
            f"| {row['label']} | {row['init'] / floor['init']:.2f} | {row['init'] / bare['init']:.2f}"
            f" | {row['cold_tls'] / floor['cold_tls']:.2f} | {row['cold_tls'] / bare['cold_tls']:.2f}"
            f" | {row['warm'] / floor['warm']:.2f} | {row['cpu_first'] / row['cpu_warm']:.2f} |"
            f" {floor['cpu_first'] / floor['cpu_warm']:.2f} | {row['cold_128']:.1f} |"
            f" {row['cold_128'] / floor['cold_128']:.2f} |")
        missed = misses(row, floor)
        checks.append(f"- {row['label']}: " + ("every target met" if not missed
                                                else "MISSED: " + "; ".join(missed)))
        for other in rows.values():
            if other["kind"] == "compare" and other["of"] == row["label"]:
                build = other["label"].split(" (", 1)[1].rstrip(")")
                checks.append(
                    f"  - against {build}: cold over TLS {row['cold_tls'] / other['cold_tls']:.2f}×,"
                    f" init {row['init'] / other['init']:.2f}×, warm p50"
                    f" {row['warm'] / other['warm']:.2f}×, first-invocation CPU"
                    f" {row['cpu_first']:.3f} / {other['cpu_first']:.3f} ms, est. cold at 128 MB"
                    f" {row['cold_128']:.1f} / {other['cold_128']:.1f} ms, zipped"
                    f" {row['zip_mb']:.2f} / {other['zip_mb']:.2f} MB")
    lines += [
        "",
        "Where each cold request over TLS differs from the floor's, in ms: init's extra CPU, and"
        " its extra wall time not spent on the CPU (waiting: the warm-up's store round trip,"
        " which the floor, connecting but sending nothing, does not make); then the first"
        " invocation's extra wall time (cold minus init) and CPU, and a warm invocation's extra"
        " CPU. See the README's Performance section for the levers tried.",
        "",
        "| function | init: CPU | init: waiting | first invocation: wall | first invocation: CPU"
        " | warm: CPU |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows.values():
        if row["kind"] != "function":
            continue
        floor = rows[f"floor: {row['label']}"]
        waiting = lambda r: r["init_tls"] - r["cpu_init"]  # noqa: E731
        first = lambda r: r["cold_tls"] - r["init_tls"]  # noqa: E731
        lines.append(
            f"| {row['label']} | {row['cpu_init'] - floor['cpu_init']:+.2f} |"
            f" {waiting(row) - waiting(floor):+.2f} | {first(row) - first(floor):+.2f} |"
            f" {row['cpu_first'] - floor['cpu_first']:+.3f} |"
            f" {row['cpu_warm'] - floor['cpu_warm']:+.3f} |")
    return lines, checks


def main():
    rows, panic, references = run()
    table, checks = report(rows)
    checks.append(f"- panic strategy ({BARE}): {panic}")
    if references:
        checks += ["", "For scale, other runtimes' start alone (spawn to exit, median, same run):", ""]
        checks += [f"- {label}: {ms:.1f} ms ({ms / rows[BARE]['init']:.0f}× the bare function's"
                   " init)" for label, ms in references]
    command = "make bench-cold" + (f" (BENCH_COMPARE={COMPARE})" if COMPARE else "")
    # What the bootstraps are built from; the results file and the docs do not count.
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!*.md")
    dirty = " (with uncommitted changes)" if changed else ""
    header = [
        "# Cold start against the floor",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        f"- commit: {git('rev-parse', '--short', 'HEAD')}{dirty}",
        f"- toolchain: {subprocess.run(['rustc', '-V'], capture_output=True, text=True).stdout.strip()}",
        f"- command: `{command}`; {SPAWNS} spawns per process and store mode, {WARM} warm"
        " invocations after each; medians over the spawns",
        f"- the floor (`bench/{FLOOR}`): the least a Rust Lambda can do to answer with the same"
        " DynamoDB requests, recorded from each function at the start of the run: no SDK, one"
        " HTTP/1.1 connection on rustls/ring with pre-parsed roots made during init, SigV4 by"
        " hand, the requests one after the other. The bare function (`bench/bare-function`) makes"
        " no request at all.",
        "",
    ]
    compared = []
    for directory in filter(None, COMPARE.split(":")):
        about = Path(directory) / "BUILD.txt"
        text = " ".join(about.read_text().split()) if about.exists() else "(no BUILD.txt)"
        compared.append(f"- {Path(directory).name}: {text}")
    if compared:
        header += ["Compared builds, each measured in the same run:", ""] + compared + [""]
    targets = ["", f"Targets: cold over TLS ≤ {TARGETS['cold_tls']}× the floor's"
               f" ({TARGETS['cold_tls_consumer']}× for {CONSUMER}), first-invocation CPU ≤"
               f" {TARGETS['first_cpu']}× a warm invocation's, warm ≤ {TARGETS['warm']}× the"
               f" floor's, init ≤ {TARGETS['init']}× the floor's, zipped ≤ {TARGETS['zip_mb']} MB,"
               " the store requests per invocation as listed:", ""]
    text = "\n".join(header + table + targets + checks) + "\n"
    print("\n" + text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
