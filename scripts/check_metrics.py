"""Checks of the final server that schemathesis cannot make; run by scripts/check-api.

    python3 scripts/check_metrics.py metrics BASE_URL [--doc OPENAPI.json] [--promtool PATH]
    python3 scripts/check_metrics.py rate-limit BASE_URL --doc OPENAPI.json

`metrics` reads BASE_URL/metrics: answered 200 with the exact Content-Type of the Prometheus
text format 0.0.4, parsed by prometheus-client's parser (and by `promtool check metrics`, when
given), every family the server promises present with its type and labels, histograms
cumulative, route labels drawn from the document's paths rather than from raw request paths.

`rate-limit` needs a server started with a tiny budget (`--rate 1 --burst 1`): it asks for
GET /health until it is refused, and checks the refusal against the document's 429 (the error
code, Retry-After, RateLimit-Policy and RateLimit), then that GET /ready and GET /metrics are
still answered (they are not rate-limited) and that the refusal was counted.

Every problem is printed; the exit status is 1 if there was any. Standard library and
prometheus-client only.
"""

import argparse
import http.client
import json
import math
import re
import subprocess
import sys
import urllib.parse

from prometheus_client.parser import text_string_to_metric_families

CONTENT_TYPE = ("text/plain", {"version": "0.0.4", "charset": "utf-8"})

# name: (type, the labels each sample has besides a histogram's `le`, {label: allowed values})
FAMILIES = {
    "jobserver_http_requests_total": ("counter", {"method", "route", "code"}, {}),
    "jobserver_http_request_duration_seconds": ("histogram", {"route"}, {}),
    "jobserver_http_open_connections": ("gauge", set(), {}),
    "jobserver_http_rate_limited_total": ("counter", set(), {}),
    "jobserver_jobs": (
        "gauge",
        {"status"},
        {"status": {"pending", "running", "completed", "failed", "cancelled"}},
    ),
    "jobserver_job_queue_depth": ("gauge", set(), {}),
    "jobserver_job_workers": ("gauge", {"state"}, {"state": {"busy", "idle"}}),
    "jobserver_expensive_permits_available": ("gauge", set(), {}),
    "jobserver_threads": ("gauge", set(), {}),
}

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

problems = []


def problem(message):
    problems.append(message)
    print(f"FAIL  {message}", file=sys.stderr)


def ok(message):
    print(f"ok    {message}")


def get(base, path):
    """One GET on a connection of its own: (status, headers as a lower-case dict, body)."""
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, response.read()
    finally:
        connection.close()


def media_type(value):
    """`text/plain; version=0.0.4; charset=utf-8` → ("text/plain", {"version": …, "charset": …})."""
    kind, *parameters = [part.strip() for part in value.split(";")]
    pairs = {}
    for parameter in parameters:
        name, _, setting = parameter.partition("=")
        pairs[name.strip().lower()] = setting.strip().strip('"').lower()
    return kind.lower(), pairs


def find(families, name):
    # prometheus-client names a counter's family without its `_total`.
    return families.get(name) or families.get(name.removesuffix("_total"))


def route_names(doc_path):
    if not doc_path:
        return None
    with open(doc_path, encoding="utf-8") as file:
        return set(json.load(file)["paths"])


def check_histogram(name, samples):
    series = {}
    for sample in samples:
        key = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "le"))
        series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if sample.name == f"{name}_bucket":
            series[key]["buckets"].append((float(sample.labels["le"]), sample.value))
        elif sample.name == f"{name}_sum":
            series[key]["sum"] = sample.value
        elif sample.name == f"{name}_count":
            series[key]["count"] = sample.value
    for key, parts in series.items():
        label = dict(key)
        buckets = sorted(parts["buckets"])
        if not buckets or buckets[-1][0] != math.inf:
            problem(f"{name}{label}: no le=\"+Inf\" bucket")
            continue
        counts = [count for _, count in buckets]
        if counts != sorted(counts):
            problem(f"{name}{label}: buckets are not cumulative: {buckets}")
        if parts["count"] is None or parts["sum"] is None:
            problem(f"{name}{label}: _sum or _count is missing")
        elif parts["count"] != buckets[-1][1]:
            problem(f"{name}{label}: _count {parts['count']} differs from the +Inf bucket {buckets[-1][1]}")
        elif parts["sum"] < 0:
            problem(f"{name}{label}: negative _sum {parts['sum']}")
    return len(series)


def check_metrics(base, doc_path, promtool):
    status, headers, body = get(base, "/metrics")
    if status != 200:
        problem(f"GET /metrics answered {status}: {body[:200]!r}")
        return
    content_type = headers.get("content-type", "")
    if media_type(content_type) != CONTENT_TYPE:
        problem(f"GET /metrics: Content-Type is {content_type!r}, not text/plain; version=0.0.4; charset=utf-8")
    else:
        ok(f"GET /metrics: 200, Content-Type: {content_type}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        problem(f"GET /metrics: the body is not UTF-8: {error}")
        return

    if promtool:
        # promtool lints too: no HELP, a counter without _total, … are problems.
        run = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
        output = (run.stdout + run.stderr).strip()
        if run.returncode != 0:
            problem(f"promtool check metrics: exit {run.returncode}:\n{output}")
        else:
            ok("promtool check metrics: no problems")

    try:
        families = {family.name: family for family in text_string_to_metric_families(text)}
    except Exception as error:  # the parser raises ValueError, and others on odd input
        problem(f"prometheus-client cannot parse /metrics: {type(error).__name__}: {error}")
        return
    ok(f"prometheus-client parsed {len(families)} metric families")

    routes = route_names(doc_path)
    for name, (kind, labels, values) in FAMILIES.items():
        family = find(families, name)
        if family is None:
            problem(f"{name}: missing")
            continue
        if family.type != kind:
            problem(f"{name}: type {family.type}, not {kind}")
            continue
        if not family.documentation:
            problem(f"{name}: no HELP text")
        samples = family.samples
        if not samples:
            problem(f"{name}: no samples")
            continue
        seen = {label: set() for label in labels}
        for sample in samples:
            names = set(sample.labels) - ({"le"} if sample.name.endswith("_bucket") else set())
            if names != labels:
                problem(f"{name}: sample {sample.name}{sample.labels} has labels {sorted(names)}, not {sorted(labels)}")
                break
            for label in labels:
                seen[label].add(sample.labels[label])
            if sample.value < 0 or math.isnan(sample.value):
                problem(f"{name}: sample {sample.name}{sample.labels} = {sample.value}")
        for label, allowed in values.items():
            if seen.get(label) != allowed:
                problem(f"{name}: label {label} takes {sorted(seen.get(label, ()))}, not exactly {sorted(allowed)}")
        if "method" in seen and not seen["method"] <= METHODS:
            problem(f"{name}: unknown methods {sorted(seen['method'] - METHODS)}")
        if "code" in seen and not all(re.fullmatch(r"[1-5][0-9][0-9]", code) for code in seen["code"]):
            problem(f"{name}: codes that are not HTTP statuses: {sorted(seen['code'])}")
        if "route" in seen and routes is not None:
            # A route label is a route's pattern, or one name (no '/') for everything else: never
            # a raw path, which would let clients create series without limit.
            stray = {route for route in seen["route"] if route not in routes and "/" in route}
            if stray:
                problem(f"{name}: route labels that are not the document's paths: {sorted(stray)[:10]}")
        if kind == "histogram":
            count = check_histogram(name, samples)
            ok(f"{name}: histogram, {count} series")
        else:
            ok(f"{name}: {kind}, {len(samples)} samples")

    requests = find(families, "jobserver_http_requests_total")
    if requests is not None and requests.type == "counter":
        total = sum(s.value for s in requests.samples if s.name.endswith("_total"))
        if total < 1:
            problem("jobserver_http_requests_total counts no request")
    threads = find(families, "jobserver_threads")
    if threads is not None and threads.samples and threads.samples[0].value < 1:
        problem(f"jobserver_threads is {threads.samples[0].value}: the server runs on at least one")


def check_rate_limit(base, doc_path):
    with open(doc_path, encoding="utf-8") as file:
        doc = json.load(file)
    header_schemas = doc["components"]["headers"]
    refused = None
    for attempt in range(1, 21):
        status, headers, body = get(base, "/health")
        if status == 429:
            refused = (attempt, headers, body)
            break
        if status != 200:
            problem(f"GET /health #{attempt}: {status} {body[:200]!r}")
            return
    if refused is None:
        problem("GET /health was never refused in 20 requests with --rate 1 --burst 1")
        return
    attempt, headers, body = refused
    ok(f"GET /health: 429 on request {attempt}")
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    if code != "rate_limited":
        problem(f"429 body is not the rate_limited error: {body[:200]!r}")
    if not headers.get("content-type", "").startswith("application/json"):
        problem(f"429 Content-Type is {headers.get('content-type')!r}")
    retry_after = headers.get("retry-after")
    if retry_after is None or not retry_after.isdigit():
        problem(f"429 Retry-After is {retry_after!r}, not whole seconds")
    for name in ("RateLimit-Policy", "RateLimit"):
        value = headers.get(name.lower())
        pattern = header_schemas[name]["schema"]["pattern"]
        if value is None:
            problem(f"429 has no {name}")
        elif not re.search(pattern, value):
            problem(f"429 {name}: {value!r} does not match the document's pattern {pattern}")
        else:
            ok(f"429 {name}: {value}")
    for path in ("/ready", "/metrics"):
        status, _, body = get(base, path)
        if status != 200:
            problem(f"GET {path} after the limit: {status} {body[:200]!r} (it is not rate-limited)")
        else:
            ok(f"GET {path} after the limit: 200")
    status, _, body = get(base, "/metrics")
    if status == 200:
        families = {family.name: family for family in text_string_to_metric_families(body.decode("utf-8"))}
        family = find(families, "jobserver_http_rate_limited_total")
        counted = [
            sample.value
            for sample in (family.samples if family else [])
            if sample.name == "jobserver_http_rate_limited_total"
        ]
        if not counted or sum(counted) < 1:
            problem(f"jobserver_http_rate_limited_total did not count the refusal: {counted}")
        else:
            ok(f"jobserver_http_rate_limited_total: {sum(counted):g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("check", choices=["metrics", "rate-limit"])
    parser.add_argument("base_url", help="http://127.0.0.1:PORT")
    parser.add_argument("--doc", help="the OpenAPI document (route names; header patterns)")
    parser.add_argument("--promtool", help="promtool, to run `promtool check metrics` too")
    args = parser.parse_args()
    try:
        if args.check == "metrics":
            check_metrics(args.base_url, args.doc, args.promtool)
        else:
            if not args.doc:
                parser.error("rate-limit needs --doc")
            check_rate_limit(args.base_url, args.doc)
    except OSError as error:
        problem(f"{args.base_url}: {error}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
