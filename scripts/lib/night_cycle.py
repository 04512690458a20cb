"""The whole night, every stage at once, as the TOM's cron and services run it (issue 28).

Started by `scripts/bench --only night-cycle [--night-alerts N]`. A PostgreSQL cluster of its own,
kept between runs in --dir, holds the synth PPDB of the requested size (made once); each run
resets what the previous night wrote, then starts a fresh kafka-mock, several fake-broker
instances (brokers of their own), broker-poll and elasticc-api, sends the night with one
`alert-sender -a DAYS --do`, runs `ppdb update-sources` after the send as the TOM's cron does
(with --promote-every, also every so many seconds during it) and once more when the last
message is stored, while a scientist's session asks for light curves, hot
transients and the confusion-matrix page. Writes night.json and night-rates.svg to --out and
prints one JSON line for the bench table.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import psycopg2
import requests
from confluent_kafka import Consumer, TopicPartition

# Four brokers answering every WFD and DDF alert: three with both classifiers, one with one,
# 7 messages an alert (ELAsTiCC2's own dumps: about 6.6 broker messages a sent alert).
BROKERS = [
    ("NightBrokerA", ["NugentClassifier", "RandomSNType"]),
    ("NightBrokerB", ["NugentClassifier", "RandomSNType"]),
    ("NightBrokerC", ["NugentClassifier", "RandomSNType"]),
    ("NightBrokerD", ["NugentClassifier"]),
]
# Partitions: librdkafka's mock keeps only the last 5 MB of each partition, so how far a
# consumer may fall behind before the mock drops what it has not read grows with them.
TOPICS = {"alerts-wfd": 128, "alerts-ddf-full": 16, "alerts-ddf-limited": 16, "classifications": 512}
ANSWERED_TOPICS = ["alerts-wfd", "alerts-ddf-full"]
# Tables the cycle writes: emptied before each night (the PPDB itself is kept).
CYCLE_TABLES = [
    "elasticc2_brokermessage", "elasticc2_brokerclassifier", "elasticc2_brokersourceids", "elasticc2_diaobject",
    "elasticc2_diasource", "elasticc2_diaforcedsource", "elasticc2_diaobjectinfo", "elasticcstream_confusion_counts", "elasticcstream_confusion_latest",
    "elasticcstream_dead_letter", "elasticcstream_kafka_offset", "elasticcstream_nightly_answers", "elasticcstream_nightly_delays",
    "elasticcstream_summary_progress", "elasticcstream_page_anchors", "elasticcstream_offset_reset",
]
# Durable settings (the bench's throwaway clusters run with fsync off) with the WAL and
# checkpoint settings the README recommends for the night; --pg-setting overrides.
PG_SETTINGS = [
    "fsync=on", "synchronous_commit=on", "full_page_writes=on", "shared_buffers=2GB", "max_wal_size=8GB",
    "min_wal_size=1GB", "checkpoint_timeout=15min", "checkpoint_completion_target=0.9", "wal_compression=lz4",
    "wal_buffers=64MB", "maintenance_work_mem=1GB", "work_mem=64MB",
]


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] night-cycle: {message}", file=sys.stderr, flush=True)


class Stage:
    """A process of the night: started, watched, and reaped with wait4 for its peak RSS."""

    def __init__(self, name, argv, out_dir, env=None):
        self.name = name
        self.argv = argv
        self.stdout_path = os.path.join(out_dir, "logs", f"{name}.out")
        self.stderr_path = os.path.join(out_dir, "logs", f"{name}.log")
        with open(self.stdout_path, "w") as stdout, open(self.stderr_path, "w") as stderr:
            self.process = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=env)
        self.pid = self.process.pid
        self.started = time.time()
        self.ended = None
        self.status = None
        self.peak_rss_mb = None
        self.sampled_peak_mb = 0.0
        self.cpu_seconds = None

    def sample_rss(self):
        if self.ended is not None:
            return
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        self.sampled_peak_mb = max(self.sampled_peak_mb, int(line.split()[1]) / 1024)
        except OSError:
            pass

    def reap(self, block):
        if self.ended is not None:
            return True
        pid, status, usage = os.wait4(self.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        self.ended = time.time()
        self.status = os.waitstatus_to_exitcode(status)
        self.peak_rss_mb = usage.ru_maxrss / 1024
        self.cpu_seconds = usage.ru_utime + usage.ru_stime
        self.process.returncode = self.status
        return True

    def stop(self):
        if self.ended is None:
            os.kill(self.pid, signal.SIGTERM)
            self.reap(block=True)

    def stdout(self):
        return open(self.stdout_path).read()


class Promoter(threading.Thread):
    """`ppdb update-sources` every `every` seconds (start to start, never two at once) until
    stopped: the operator's cron line that keeps the night's promotions small."""

    def __init__(self, every, argv, out_dir, origin):
        super().__init__(daemon=True)
        self.every, self.argv, self.out_dir, self.origin = every, argv, out_dir, origin
        self.stopping = threading.Event()
        self.runs = []

    def run(self):
        next_start = time.time() + self.every
        while not self.stopping.wait(max(0.0, next_start - time.time())):
            next_start = time.time() + self.every
            stage = Stage(f"update-sources-night-{len(self.runs) + 1}", self.argv, self.out_dir)
            stage.reap(block=True)
            self.runs.append(stage)
            log(f"update-sources during the night ({stage.ended - stage.started:.1f} s, exit {stage.status}): {stage.stdout().strip()}")

    def record(self):
        return [{"at_s": round(stage.started - self.origin, 1), "seconds": round(stage.ended - stage.started, 1), "status": stage.status,
                 "peak_rss_mb": round(stage.peak_rss_mb), "cpu_s": round(stage.cpu_seconds, 1), "out": stage.stdout().strip()}
                for stage in self.runs]


def wait_for(condition, what, timeout, interval=0.2, alive=()):
    deadline = time.time() + timeout
    while not condition():
        for stage in alive:
            if stage.reap(block=False):
                raise SystemExit(f"night-cycle: {stage.name} exited ({stage.status}) while waiting for {what}; see {stage.stderr_path}")
        if time.time() > deadline:
            raise SystemExit(f"night-cycle: {what} did not happen within {timeout} s")
        time.sleep(interval)


def run(argv, **kwargs):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs).stdout


class Database:
    def __init__(self, url):
        self.url = url
        self.connection = psycopg2.connect(url)
        self.connection.autocommit = True

    def rows(self, sql, parameters=None):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, parameters)
            return cursor.fetchall() if cursor.description else []

    def value(self, sql, parameters=None):
        rows = self.rows(sql, parameters)
        return rows[0][0] if rows else None


# The PPDB's shape, kept beside it: a PPDB made another way is made again. Forced photometry
# stops at each object's last detection: no alert carries the rows after it and update-sources
# never promotes them, and at 10^7 alerts they would take 60 % of the PPDB's disk.
SHAPE = "synth, no forced photometry after the last detection"
MARKER_COLUMNS = "objects, seed, shape, alerts, busiest_day, first_day, last_day"


def prepare_ppdb(args, admin_url, bin_dir, out_dir):
    """The synth PPDB of this size, made once and kept; the cycle's tables emptied for the night."""
    name = f"night_{args.alerts}"
    base = admin_url.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    objects = args.alerts * 10 // 58  # about 5.8 alerts an object (scripts/lib/ppdb_shape.sql)
    admin = Database(admin_url)
    exists = admin.value("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    marker = None
    if exists:
        db = Database(url)
        try:
            marker = db.rows(f"SELECT {MARKER_COLUMNS} FROM bench_night_ppdb")
        except psycopg2.Error:  # none yet, or one from an earlier version of this script
            marker = None
        db.connection.close()
    if not marker or marker[0][:3] != (objects, args.seed, SHAPE):
        log(f"making the PPDB: ppdb synth of {objects} objects (about {args.alerts} alerts), kept in {args.dir}")
        admin.rows(f"DROP DATABASE IF EXISTS {name}")
        admin.rows(f"CREATE DATABASE {name}")
        run([f"{bin_dir}/ppdb", "migrate", "--db", url, "--log-level", "warning"])
        started = time.time()
        synth = run([f"{bin_dir}/ppdb", "synth", "--db", url, "--objects", str(objects), "--seed", str(args.seed),
                     "--forced-days-after-detection", "0", "--log-level", "warning"])
        log(synth.strip())
        db = Database(url)
        db.rows("VACUUM ANALYZE")
        busiest, first, last = db.rows("""
            SELECT (SELECT floor(midpointtai) FROM elasticc2_ppdbdiasource GROUP BY 1 ORDER BY count(*) DESC LIMIT 1),
                   min(midpointtai), max(midpointtai) FROM elasticc2_ppdbdiasource""")[0]
        alerts = db.value("SELECT count(*) FROM elasticc2_ppdbalert")
        db.rows("""CREATE TABLE bench_night_ppdb (objects bigint, seed bigint, shape text, alerts bigint, busiest_day double precision,
                   first_day double precision, last_day double precision, synth_seconds double precision)""")
        db.rows("INSERT INTO bench_night_ppdb VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (objects, args.seed, SHAPE, alerts, busiest, first, last, time.time() - started))
        marker = db.rows(f"SELECT {MARKER_COLUMNS} FROM bench_night_ppdb")
        db.connection.close()
    else:
        log(f"reusing the PPDB {name} in {args.dir}")
    db = Database(url)
    log("emptying what the last night wrote")
    present = [table for table in CYCLE_TABLES if db.value("SELECT to_regclass(%s) IS NOT NULL", (table,))]
    db.rows(f"TRUNCATE {', '.join(present)} RESTART IDENTITY CASCADE")
    run([f"{bin_dir}/ppdb", "reset-sent", "--db", url, "--log-level", "warning"])
    db.rows("VACUUM ANALYZE")
    db.rows("CHECKPOINT")
    warm_ppdb(db)
    if not db.value("SELECT 1 FROM auth_user WHERE username = 'nightscientist'"):
        password_file = os.path.join(out_dir, "password")
        with open(password_file, "w") as f:
            f.write("night-password\n")
        run([f"{bin_dir}/elasticc-api", "add-user", "nightscientist", "--password-file", password_file, "--db", url,
             "--log-level", "warning"])
    _, _, _, alerts, busiest, first, last = marker[0]
    return db, url, {"objects": objects, "alerts": alerts, "busiest_day": busiest, "first_day": first, "last_day": last}


# What the send reads, in page order. A PPDB serving night after night holds these in memory;
# read cold, at random, as the send asks for them, they kept it under 800 alerts/s at 10^7 (the
# first 13 minutes of a run: 700 random reads a second).
SEND_RELATIONS = [
    "elasticc2_ppdbdiaforcedsource", "elasticc2_ppdbdiaforcedsource_ppdbdiaobject_id_4a76acc6",
    "elasticc2_ppdbdiasource", "elasticc2_ppdbdiasource_ppdbdiaobject_id_14a81c05",
    "elasticc2_ppdbdiaobject", "elasticc2_ppdbdiaobject_pkey",
    "elasticc2_ppdbalert", "elasticc2_ppdbalert_pkey", "elasticc2_ppdbalert_alertsenttimestamp_0f43677b",
]


def warm_ppdb(db):
    """Reads the send's tables and indexes once into the operating system's cache."""
    started = time.time()
    db.rows("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
    pages = sum(db.value("SELECT pg_prewarm(%s::regclass, 'read')", (relation,)) for relation in SEND_RELATIONS)
    log(f"read the send's tables and indexes once: {pages * 8192 / 2**30:.1f} GiB in {time.time() - started:.0f} s")


class Watermarks:
    """End offsets of the night's topics, as Kafka counts what was produced."""

    def __init__(self, bootstrap):
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "night-cycle-watch", "enable.auto.commit": False})

    def totals(self):
        """A request a partition (the mock answers no batched ListOffsets): seconds, so once, at the end."""
        totals = {}
        for topic, partitions in TOPICS.items():
            totals[topic] = sum(self.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
                                for p in range(partitions))
        return totals


def machine_cpu():
    """(busy, total) jiffies of the whole machine: PostgreSQL's backends are in it too."""
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def metric_total(port, name):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return None
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{") or line.startswith(name + " "))


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ScienceTrickle(threading.Thread):
    """A scientist's session during the night: a light curve a second, the hot transients of one
    day and the confusion-matrix page every ten seconds, each timed."""

    def __init__(self, base, objects, first_object, mjd_now):
        super().__init__(daemon=True)
        self.base, self.objects, self.first_object, self.mjd_now = base, objects, first_object, mjd_now
        self.samples = []  # (time, kind, seconds, status)
        self.stopping = threading.Event()

    def run(self):
        session = requests.Session()
        session.get(self.base + "/accounts/login/")
        session.post(self.base + "/accounts/login/", data={"username": "nightscientist", "password": "night-password",
                                                          "csrfmiddlewaretoken": session.cookies["csrftoken"]})
        headers = {"X-CSRFToken": session.cookies["csrftoken"]}
        chooser = random.Random(28)
        tick = 0
        while not self.stopping.is_set():
            started = time.time()
            requests_now = [("ltcv", "post", "/elasticc2/ltcv", {"objectid": self.first_object + chooser.randrange(self.objects)})]
            if tick % 10 == 0:
                requests_now.append(("gethottransients", "post", "/elasticc2/gethottransients",
                                     {"detected_in_last_days": 1, "mjd_now": self.mjd_now}))
            if tick % 10 == 5:
                requests_now.append(("confmatrixlatest", "get", "/elasticc2/confmatrixlatest", None))
            for kind, method, path, body in requests_now:
                t = time.time()
                try:
                    answer = session.post(self.base + path, json=body, headers=headers, timeout=120) if method == "post" \
                        else session.get(self.base + path, timeout=120)
                    status = answer.status_code
                except requests.RequestException as error:
                    status = str(error)
                self.samples.append((t, kind, time.time() - t, status))
            tick += 1
            self.stopping.wait(max(0.0, 1.0 - (time.time() - started)))


def percentile(values, fraction):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(fraction * len(values)))]


def svg_chart(path, timeline, events, trickle, t0):
    """Three panels over the night's seconds: alerts a second, messages a second, API latency."""
    width, panel, left, gap = 960, 200, 70, 40
    height = 3 * panel + 4 * gap
    end = max([row["t"] for row in timeline] + [s[0] + s[2] for s in trickle] + [t0 + 1]) - t0

    def x(t):
        return left + (t / end) * (width - left - 20)

    def rates(key):
        points = []
        for previous, row in zip(timeline, timeline[1:]):
            if row.get(key) is None or previous.get(key) is None:
                continue
            seconds = row["t"] - previous["t"]
            points.append(((row["t"] + previous["t"]) / 2 - t0, max(0.0, (row[key] - previous[key]) / seconds)))
        return points

    panels = [
        ("alerts a second", [("sent (acknowledged and marked)", "sent", "#1f77b4"),
                             ("answered (mean of brokers)", "answered", "#2ca02c"), ("sources promoted", "promoted", "#8c564b")], False),
        ("broker messages a second", [("produced by brokers", "produced", "#ff7f0e"), ("stored by broker-poll", "stored", "#d62728"),
                                      ("summed for the pages", "summarized", "#7f7f7f")], False),
        ("API latency, s (log)", None, True),
    ]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    for index, (title, series, logarithmic) in enumerate(panels):
        top = gap + index * (panel + gap)
        bottom = top + panel
        parts.append(f'<text x="{left}" y="{top - 8}" font-size="13" font-weight="bold">{title}</text>')
        parts.append(f'<line x1="{left}" y1="{bottom}" x2="{width - 20}" y2="{bottom}" stroke="black"/>')
        parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="black"/>')
        label_rows = []  # where each row of event names ends: names seconds apart go one under another
        for name, at in sorted(events, key=lambda event: event[1]):
            parts.append(f'<line x1="{x(at - t0):.1f}" y1="{top}" x2="{x(at - t0):.1f}" y2="{bottom}" stroke="#bbb" stroke-dasharray="3,3"/>')
            if index == 0:
                row = next((r for r, taken_to in enumerate(label_rows) if x(at - t0) > taken_to), len(label_rows))
                label_rows[row:row + 1] = [x(at - t0) + 6 * len(name) + 6]
                parts.append(f'<text x="{x(at - t0) + 2:.1f}" y="{top + 10 + 10 * row}" fill="#888" font-size="9">{name}</text>')
        tick_count = 6
        for i in range(tick_count + 1):
            t = end * i / tick_count
            parts.append(f'<text x="{x(t):.1f}" y="{bottom + 13}" text-anchor="middle">{t:.0f} s</text>')
        if logarithmic:
            kinds = {"ltcv": "#1f77b4", "gethottransients": "#d62728", "confmatrixlatest": "#2ca02c"}
            lo, hi = 1e-3, 1e2

            def y(v):
                import math
                v = min(max(v, lo), hi)
                return bottom - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * panel
            for v in (1e-3, 1e-2, 1e-1, 1, 10, 100):
                parts.append(f'<text x="{left - 5}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
                parts.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{width - 20}" y2="{y(v):.1f}" stroke="#eee"/>')
            for t, kind, seconds, status in trickle:
                colour = kinds.get(kind, "black") if status == 200 else "black"
                parts.append(f'<circle cx="{x(t - t0):.1f}" cy="{y(seconds):.1f}" r="1.6" fill="{colour}"/>')
            for i, (kind, colour) in enumerate(kinds.items()):
                parts.append(f'<text x="{width - 200}" y="{top + 12 + 13 * i}" fill="{colour}">● {kind}</text>')
            continue
        drawn = [(name, colour, rates(key)) for name, key, colour in series]
        peak = max([v for _, _, points in drawn for _, v in points] + [1])
        for i in range(5):
            v = peak * i / 4
            yy = bottom - v / peak * panel
            parts.append(f'<text x="{left - 5}" y="{yy + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
            parts.append(f'<line x1="{left}" y1="{yy:.1f}" x2="{width - 20}" y2="{yy:.1f}" stroke="#eee"/>')
        for i, (name, colour, points) in enumerate(drawn):
            if points:
                path_points = " ".join(f"{x(t):.1f},{bottom - v / peak * panel:.1f}" for t, v in points)
                parts.append(f'<polyline points="{path_points}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
            parts.append(f'<text x="{width - 200}" y="{top + 12 + 13 * i}" fill="{colour}">— {name}</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--alerts", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", required=True, help="kept between runs: the PostgreSQL cluster holding the PPDB")
    parser.add_argument("--out", required=True)
    parser.add_argument("--sample-seconds", type=float, default=5)
    parser.add_argument("--pg-setting", action="append", default=[], help="NAME=VALUE over the night's PostgreSQL settings")
    parser.add_argument("--timeout", type=float, default=3 * 3600)
    parser.add_argument("--send-rate", type=float, default=5000,
                        help="alert-sender --rate: alerts a second (0: as fast as it can). Unpaced, the brokers' answers come "
                             "faster than they are stored and the backlog outgrows what the mock cluster keeps")
    parser.add_argument("--promote-every", type=float, default=0,
                        help="seconds between the ppdb update-sources runs during the send (0: only after it)")
    parser.add_argument("--prepare-only", action="store_true", help="make (or check) the kept PPDB, and stop")
    args = parser.parse_args()
    bin_dir = args.bin
    out_dir = args.out
    os.makedirs(os.path.join(out_dir, "logs"), exist_ok=True)
    os.makedirs(args.dir, exist_ok=True)
    scripts = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    settings = PG_SETTINGS + args.pg_setting
    pg_env = dict(os.environ, PG_CLUSTER_SETTINGS=" ".join("-c " + s for s in settings))
    pg_dir = os.path.join(args.dir, "pg")
    run([os.path.join(scripts, "pg-cluster"), "stop", pg_dir])
    admin_url = run([os.path.join(scripts, "pg-cluster"), "start", pg_dir], env=pg_env).strip()
    stages = []
    try:
        db, url, ppdb = prepare_ppdb(args, admin_url, bin_dir, out_dir)
        if args.prepare_only:
            print(json.dumps({"kind": "night-ppdb", **ppdb}))
            return
        result = night(args, bin_dir, out_dir, db, url, ppdb, settings, stages)
    finally:
        for stage in stages:
            if stage.ended is None:
                try:
                    stage.stop()
                except OSError:
                    pass
        run([os.path.join(scripts, "pg-cluster"), "stop", pg_dir])
    print(json.dumps(result, default=float))


def night(args, bin_dir, out_dir, db, url, ppdb, settings, stages):
    log_level = ["--log-level", "info"]
    mock = Stage("kafka-mock", [f"{bin_dir}/kafka-mock", "--log-level", "warning"] + [a for t, n in TOPICS.items() for a in ("--topic", f"{t}:{n}")],
                 out_dir)
    stages.append(mock)
    wait_for(lambda: os.path.getsize(mock.stdout_path) > 0, "kafka-mock's address", 30, alive=[mock])
    kafka = mock.stdout().splitlines()[0]
    watermarks = Watermarks(kafka)

    services = []
    broker_ports = []
    for name, classifiers in BROKERS:
        port = free_port()
        broker_ports.append(port)
        stage = Stage(f"fake-broker-{name}", [f"{bin_dir}/fake-broker", "--source", kafka, "-t", *ANSWERED_TOPICS, "-u", "classifications",
                                              "-g", f"night-{name}", "--broker-name", name, "--classifiers", *classifiers, "--instances", "1",
                                              "--metrics-listen", f"127.0.0.1:{port}", "--ready-file", os.path.join(out_dir, f"{name}.ready")]
                      + log_level, out_dir)
        stages.append(stage)
        services.append(stage)
    poll_port = free_port()
    poll = Stage("broker-poll", [f"{bin_dir}/broker-poll", "--server", kafka, "--topic", "classifications", "--group-id", "night-poll",
                                 "--instances", "1", "--db", url, "--metrics-listen", f"127.0.0.1:{poll_port}",
                                 "--ready-file", os.path.join(out_dir, "broker-poll.ready")] + log_level, out_dir)
    stages.append(poll)
    services.append(poll)
    api_ready = os.path.join(out_dir, "api.ready")
    for stale in [api_ready] + [os.path.join(out_dir, f"{n}.ready") for n, _ in BROKERS] + [os.path.join(out_dir, "broker-poll.ready")]:
        if os.path.exists(stale):
            os.remove(stale)
    api = Stage("elasticc-api", [f"{bin_dir}/elasticc-api", "serve", "--listen", "127.0.0.1:0", "--db", url, "--ready-file", api_ready]
                + log_level, out_dir)
    stages.append(api)
    services.append(api)
    for ready in [api_ready, os.path.join(out_dir, "broker-poll.ready")] + [os.path.join(out_dir, f"{n}.ready") for n, _ in BROKERS]:
        wait_for(lambda: os.path.exists(ready), f"{ready}", 120, alive=services)
    wait_for(lambda: os.path.getsize(api_ready) > 0, "elasticc-api's address", 60, alive=services)
    api_address = open(api_ready).read().split()[1]

    database_bytes_before = db.value("SELECT pg_database_size(current_database())")
    wal_before = db.value("SELECT pg_current_wal_lsn()")
    bgwriter_before = db.rows("SELECT checkpoints_timed, checkpoints_req, buffers_checkpoint, buffers_backend FROM pg_stat_bgwriter")[0]
    disk_before = shutil.disk_usage(args.dir).used
    # pg_stat_user_tables counts since the statistics were last reset, earlier nights included.
    promoted_before = db.value("SELECT coalesce(sum(n_tup_ins), 0) FROM pg_stat_user_tables WHERE relname = 'elasticc2_diasource'")

    status_dir = os.path.join(out_dir, "send-status")
    if os.path.exists(status_dir):
        shutil.rmtree(status_dir)
    trickle = ScienceTrickle(f"http://{api_address}", ppdb["objects"], 10_000_000, ppdb["busiest_day"] + 1)
    timeline = []
    events = []
    stop_sampling = threading.Event()

    def sample():
        while True:
            t = time.time()
            row = {"t": t}
            # The processes' own counts: alerts acknowledged and marked (the sender's status
            # file, after each batch), alerts consumed and answers acknowledged (each broker's
            # metrics), positions stored (PostgreSQL).
            try:
                row["sent"] = int(open(os.path.join(status_dir, "alertssent")).read())
            except (OSError, ValueError):
                row["sent"] = 0
            answered = [metric_total(port, "elasticc_fakebroker_alerts_consumed_total") for port in broker_ports]
            produced = [metric_total(port, "elasticc_fakebroker_classifications_produced_total") for port in broker_ports]
            row["answered_each"] = answered
            row["answered"] = sum(a or 0 for a in answered) / len(answered)
            row["produced"] = int(sum(p or 0 for p in produced))
            row["refused_partitions"] = metric_total(poll_port, "elasticc_brokerpoll_refused_partitions")
            row["lag"] = metric_total(poll_port, "elasticc_brokerpoll_consumer_lag_messages")
            row["cpu"] = machine_cpu()
            stats = dict((name, (inserted, updated)) for name, inserted, updated in sampler_db.rows(
                "SELECT relname, n_tup_ins, n_tup_upd FROM pg_stat_user_tables WHERE relname IN "
                "('elasticc2_ppdbalert', 'elasticc2_brokermessage', 'elasticc2_diasource')"))
            row["stored"] = sampler_db.value("SELECT coalesce(sum(next_offset), 0)::bigint FROM elasticcstream_kafka_offset")
            row["promoted"] = stats.get("elasticc2_diasource", (0, 0))[0] - promoted_before
            row["summarized"] = sampler_db.value("SELECT coalesce(max(summarized_through), 0) FROM elasticcstream_summary_progress")
            for stage in stages:
                stage.sample_rss()
            row["rss_mb"] = {stage.name: round(stage.sampled_peak_mb) for stage in stages if stage.ended is None}
            timeline.append(row)
            if len(timeline) % max(1, round(60 / args.sample_seconds)) == 0:
                busy = (row["cpu"][0] - timeline[-2]["cpu"][0]) / max(1, row["cpu"][1] - timeline[-2]["cpu"][1]) if len(timeline) > 1 else 0
                log("progress: " + ", ".join(f"{key} {row.get(key)}" for key in ("sent", "answered", "produced", "stored", "lag", "promoted", "summarized"))
                    + f", CPU busy {busy:.0%}")
            if stop_sampling.wait(max(0.0, args.sample_seconds - (time.time() - t))):
                return

    # Cumulative statistics (the chart draws their differences), read fresh in each autocommit statement.
    sampler_db = Database(url)
    sampler = threading.Thread(target=sample, daemon=True)
    trickle.start()
    sampler.start()

    log(f"sending the night: {ppdb['alerts']} alerts; {len(BROKERS)} brokers answering with "
        f"{sum(len(c) for _, c in BROKERS)} messages an alert")
    days = int(ppdb["last_day"] - ppdb["first_day"]) + 2
    send_started = time.time()
    events.append(("send", send_started))
    send_summary = os.path.join(out_dir, "send-summary.json")
    pace = ["--rate", f"{args.send_rate:g}"] if args.send_rate > 0 else []
    sender = Stage("alert-sender", [f"{bin_dir}/alert-sender", "-a", str(days), "-k", kafka, "--do", "--db", url,
                                    "--summary-json", send_summary, "--status-dir", status_dir] + pace + log_level, out_dir)
    stages.append(sender)
    update_argv = [f"{bin_dir}/ppdb", "update-sources", "--db", url] + log_level
    promoter = Promoter(args.promote_every, update_argv, out_dir, send_started)
    if args.promote_every > 0:
        promoter.start()
    wait_for(lambda: sender.reap(block=False), "the send", args.timeout, interval=1, alive=services)
    promoter.stopping.set()
    if args.promote_every > 0:
        promoter.join()
    if sender.status != 0:
        raise SystemExit(f"night-cycle: alert-sender exited {sender.status}; see {sender.stderr_path}")
    events.append(("sent", sender.ended))
    log(f"sent in {sender.ended - send_started:.0f} s; ppdb update-sources, as the cron runs it after the send")
    first_update = Stage("update-sources-1", update_argv, out_dir)
    stages.append(first_update)
    first_update.reap(block=True)
    if first_update.status != 0:
        raise SystemExit(f"night-cycle: ppdb update-sources exited {first_update.status}; see {first_update.stderr_path}")
    events.append(("promoted", first_update.ended))
    summary = json.load(open(send_summary))
    alert_messages = sum(summary["messages_per_topic"].get(topic, 0) for topic in ANSWERED_TOPICS)
    expected_messages = alert_messages * sum(len(c) for _, c in BROKERS)
    log(f"update-sources after the send: {first_update.stdout().strip()}; waiting for {expected_messages} messages stored")

    def everything_stored():
        row = timeline[-1] if timeline else {}
        if row.get("refused_partitions"):
            raise SystemExit(f"night-cycle: broker-poll refused {row['refused_partitions']:.0f} partitions (messages gone from Kafka "
                             f"before they were stored; see {poll.stderr_path})")
        return row.get("produced") == expected_messages and row.get("stored") == expected_messages
    wait_for(everything_stored, "every message stored", args.timeout, interval=1, alive=services)
    last_stored = timeline[-1]["t"]
    # When the last message was stored: the first sample that saw it, less half a sample period.
    for row in timeline:
        if row.get("stored") == expected_messages:
            last_stored = row["t"] - args.sample_seconds / 2
            break
    events.append(("stored", last_stored))
    second_update = Stage("update-sources-2", update_argv, out_dir)
    stages.append(second_update)
    second_update.reap(block=True)
    if second_update.status != 0:
        raise SystemExit(f"night-cycle: ppdb update-sources exited {second_update.status}; see {second_update.stderr_path}")
    night_end = second_update.ended
    events.append(("done", night_end))
    log(f"every message stored; update-sources again: {second_update.stdout().strip()}")

    maximum = db.value("SELECT max(brokermessage_id) FROM elasticc2_brokermessage")
    wait_for(lambda: db.value("SELECT coalesce(max(summarized_through), 0) FROM elasticcstream_summary_progress") >= maximum,
             "the page sums to reach the last message", 1800, interval=1, alive=services)
    sums_current = time.time()
    trickle.stopping.set()
    stop_sampling.set()
    sampler.join()
    trickle.join()

    final_marks = watermarks.totals()
    for stage in services:
        stage.stop()
    mock.stop()

    # Kept before anything below can fail: the night's raw record.
    with open(os.path.join(out_dir, "night-raw.json"), "w") as f:
        json.dump({"timeline": timeline, "events": events, "requests": trickle.samples,
                   "stages": {stage.name: [stage.started, stage.ended, stage.status, stage.peak_rss_mb, stage.cpu_seconds] for stage in stages}},
                  f, default=float)
    log("checking counts against Kafka and PostgreSQL")
    checks = {}
    in_window = ppdb["alerts"]  # the night's -a covers every alert of the PPDB
    marked = db.value("SELECT count(*) FROM elasticc2_ppdbalert WHERE alertsenttimestamp IS NOT NULL")
    checks["alerts in the night"] = in_window
    checks["alerts marked sent"] = marked
    checks["alerts sent by the sender"] = summary["alerts_sent"]
    checks["alert messages in Kafka"] = {t: final_marks[t] for t in TOPICS if t.startswith("alerts")}
    checks["alert messages the sender counted"] = summary["messages_per_topic"]
    checks["classification messages in Kafka"] = final_marks["classifications"]
    stored_rows = db.value("SELECT count(*) FROM elasticc2_brokermessage")
    distinct = db.value("SELECT count(*) FROM (SELECT DISTINCT alert_id, classifier_id FROM elasticc2_brokermessage) x")
    checks["broker messages stored"] = stored_rows
    checks["distinct (alert, classifier) stored"] = distinct
    checks["classifiers"] = db.value("SELECT count(*) FROM elasticc2_brokerclassifier")
    answered_sources = db.value("SELECT count(DISTINCT diasource_id) FROM elasticc2_brokermessage")
    unpromoted = db.value("SELECT count(*) FROM (SELECT DISTINCT diasource_id FROM elasticc2_brokermessage) m WHERE NOT EXISTS "
                          "(SELECT 1 FROM elasticc2_diasource s WHERE s.diasource_id = m.diasource_id)")
    checks["answered sources"] = answered_sources
    checks["answered sources not promoted"] = unpromoted
    checks["source ids left unconsumed"] = db.value("SELECT count(*) FROM elasticc2_brokersourceids")
    checks["dead letters"] = db.value("SELECT count(*) FROM elasticcstream_dead_letter")
    failures = []
    if not (in_window == marked == summary["alerts_sent"]):
        failures.append("alerts: in the night, marked and sent differ")
    if any(final_marks[t] != summary["messages_per_topic"].get(t, 0) for t in TOPICS if t.startswith("alerts")):
        failures.append("alert messages in Kafka differ from what the sender counted (a resend or a loss)")
    if not (final_marks["classifications"] == expected_messages == stored_rows == distinct):
        failures.append("broker messages: produced, expected, stored and distinct differ")
    if checks["classifiers"] != sum(len(c) for _, c in BROKERS):
        failures.append("classifiers: not one row per broker's classifier")
    if unpromoted != 0 or checks["source ids left unconsumed"] != 0 or answered_sources != in_window:
        failures.append("sources: an answered source is not promoted")
    if checks["dead letters"]:
        failures.append("dead letters kept")
    bad_requests = [s for s in trickle.samples if s[3] != 200]
    if bad_requests:
        failures.append(f"{len(bad_requests)} science requests failed, e.g. {bad_requests[0]}")
    for stage in stages + promoter.runs:
        if stage.status not in (0,):
            failures.append(f"{stage.name} exited {stage.status}")

    latency = db.rows("""
        SELECT percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY s), max(s), count(*)
          FROM (SELECT extract(epoch FROM descingesttimestamp - elasticcpublishtimestamp)::float8 AS s
                  FROM elasticc2_brokermessage TABLESAMPLE SYSTEM (%s)) x""", (min(100.0, max(1.0, 2e8 / max(stored_rows, 1))),))[0]
    tables = db.rows("""
        SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid), c.reltuples::bigint FROM pg_class c
         WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND pg_total_relation_size(c.oid) > 1048576
         ORDER BY pg_total_relation_size(c.oid) DESC""")
    bgwriter_after = db.rows("SELECT checkpoints_timed, checkpoints_req, buffers_checkpoint, buffers_backend FROM pg_stat_bgwriter")[0]

    def api(kind):
        seconds = [s[2] for s in trickle.samples if s[1] == kind and s[3] == 200]
        return {"count": len(seconds), "p50_s": round(percentile(seconds, 0.5) or 0, 4), "p99_s": round(percentile(seconds, 0.99) or 0, 4),
                "max_s": round(max(seconds or [0]), 4)}

    wall = night_end - send_started
    result = {
        "kind": "night-cycle", "alerts": summary["alerts_sent"], "messages": stored_rows, "brokers": len(BROKERS),
        "messages_per_alert": sum(len(c) for _, c in BROKERS), "wall_s": round(wall, 1),
        "send_s": round(sender.ended - send_started, 1), "send_alerts_per_s": round(summary["alerts_sent"] / (sender.ended - send_started)),
        "stored_after_s": round(last_stored - send_started, 1), "stored_per_s": round(stored_rows / max(last_stored - send_started, 1e-9)),
        "update_sources_s": [round(first_update.ended - first_update.started, 1), round(second_update.ended - second_update.started, 1)],
        "update_sources_out": [first_update.stdout().strip(), second_update.stdout().strip()],
        "update_sources_during_night": promoter.record(),
        "sums_current_after_s": round(sums_current - last_stored, 1),
        "e2e_latency_s": {"p50": round(latency[0][0], 2), "p90": round(latency[0][1], 2), "p99": round(latency[0][2], 2),
                          "max_sampled": round(latency[1], 2), "sampled_rows": latency[2]},
        "api": {kind: api(kind) for kind in ("ltcv", "gethottransients", "confmatrixlatest")},
        "peak_rss_mb": {stage.name: round(stage.peak_rss_mb or stage.sampled_peak_mb) for stage in stages},
        "cpu_s": {stage.name: round(stage.cpu_seconds or 0, 1) for stage in stages},
        "machine_cpu_busy": round((timeline[-1]["cpu"][0] - timeline[0]["cpu"][0]) / max(1, timeline[-1]["cpu"][1] - timeline[0]["cpu"][1]), 3),
        "database_growth_bytes": db.value("SELECT pg_database_size(current_database())") - database_bytes_before,
        "wal_bytes": int(db.value("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", (wal_before,))),
        "checkpoints": {"timed": bgwriter_after[0] - bgwriter_before[0], "requested": bgwriter_after[1] - bgwriter_before[1],
                        "buffers_checkpoint": bgwriter_after[2] - bgwriter_before[2], "buffers_backend": bgwriter_after[3] - bgwriter_before[3]},
        "disk_growth_bytes": shutil.disk_usage(args.dir).used - disk_before,
        "tables": [{"table": t, "table_bytes": s, "index_bytes": i, "rows": r} for t, s, i, r in tables],
        "pg_settings": settings, "checks": checks, "failures": failures,
    }
    with open(os.path.join(out_dir, "night.json"), "w") as f:
        json.dump({"result": result, "timeline": timeline, "events": events,
                   "requests": [{"t": round(t - send_started, 2), "kind": k, "seconds": round(s, 4), "status": st}
                                for t, k, s, st in trickle.samples]}, f, indent=1, default=float)
    svg_chart(os.path.join(out_dir, "night-rates.svg"), timeline, events, trickle.samples, send_started)
    log(f"night: {wall:.0f} s; {len(failures)} failed checks; {out_dir}/night.json, {out_dir}/night-rates.svg")
    return result


if __name__ == "__main__":
    main()
