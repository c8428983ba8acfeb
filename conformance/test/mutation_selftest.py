#!/usr/bin/env python3
"""Who tests the tester: runs chat-conform against chat-server (every check must PASS) and
against chat-server-mutant --mutant NAME (the run must fail, with a FAIL mapped to the clause
the mutant breaks). Renders the kill matrix as a Markdown table.

  mutation_selftest.py --conform BIN --server BIN --mutant-server BIN --work-dir DIR names
  ... reference              the reference server passes every check (SHUT-1 included)
  ... mutant NAME            one mutant is killed by the right clause
  ... matrix [--jobs N] [--out FILE]   every mutant; writes the kill matrix (Markdown)
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

# mutant -> (clauses it breaks: a FAIL on one of them kills it, --only globs (None: every
# check), exit codes accepted). Selections keep ctest short; a few run the whole catalogue.
MUTANTS = {
    "history-99": ({"HIST-2"}, ["hist.*"], {1}),
    "history-101": ({"HIST-2"}, ["hist.*"], {1}),
    "history-keeps-oldest": ({"HIST-2"}, ["hist.*"], {1}),
    "history-newest-first": ({"HIST-1", "HIST-3"}, ["hist.*", "ORD-4"], {1}),
    "no-echo": ({"MSG-1"}, None, {1}),
    "cross-room-leak": ({"MSG-7"}, ["msg.*"], {1}),
    "stale-room-count": ({"ROOM-4"}, ["room.*", "WS-2"], {1}),
    "slow-never-dropped": ({"SLOW-1"}, ["slow.*"], {1}),
    "slow-blocks-others": ({"SLOW-3"}, ["slow.*", "msg.fields"], {1}),
    # The crash ends the run incomplete (exit 2), but the crash itself must be the SLOW-4 FAIL.
    "crash-after-drop": ({"SLOW-4"}, ["slow.*", "hist.*", "ws.*"], {1, 2}),
    "double-wrap": ({"MSG-2"}, ["msg.*"], {1}),
    "timestamp-seconds": ({"MSG-3"}, ["msg.*"], {1}),
    "live-before-replay": ({"HIST-5"}, ["hist.*"], {1}),
    "wrong-rest-envelope": ({"HIST-3", "ROOM-3"}, ["hist.*", "room.*"], {1}),
    "unknown-room-200": ({"HIST-4"}, ["hist.*"], {1}),
    "bad-frame-broadcast": ({"MSG-5"}, ["msg.*"], {1}),
    "binary-broadcast": ({"MSG-6"}, ["msg.*"], {1}),
    "user-from-frame": ({"MSG-8"}, ["msg.*"], {1}),
    "no-general": ({"ROOM-1"}, None, {1}),
    "plain-400": ({"CONN-2", "CONN-4"}, ["conn.*"], {1}),
    "no-1009": ({"WS-4"}, ["ws.*"], {1}),
    "wrong-method-404": ({"HTTP-3"}, ["http.*"], {1}),
    "drop-every-100th": ({"ORD-3"}, ["ord.*"], {1}),
    "duplicate-delivery": ({"ORD-3"}, ["ord.*"], {1}),
    # For the load generator: slower, but conforming. Every check must still pass.
    "broadcast-delay-20ms": (set(), None, {0}),
}


def start_server(argv, log_path, timeout=15.0):
    """Starts a server on port 0 and returns (process, base URL) once it says where it listens."""
    log = open(log_path, "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path) as f:
            m = re.search(r"listening on (https?://\S+?):(\d+)", f.read())
        if m:
            return proc, "http://127.0.0.1:" + m.group(2)
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    with open(log_path) as f:
        raise RuntimeError("server did not start: " + " ".join(argv) + "\n" + f.read()[-2000:])


def stop_server(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_conform(args, url, name, extra):
    report_dir = os.path.join(args.work_dir, name)
    cmd = [args.conform, "run", url, "--report-dir", report_dir, "--format", "json,md",
           "--run-id", re.sub(r"[^a-z0-9]", "", name)[:12] + str(os.getpid() % 1000), "--quiet"] + extra
    start = time.monotonic()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", timeout=150)
    seconds = time.monotonic() - start
    report = None
    path = os.path.join(report_dir, "chat-conform.json")
    if os.path.exists(path):
        with open(path) as f:
            report = json.load(f)
    return done.returncode, seconds, report, done.stdout, cmd


def failures(report):
    """(check id, clause) for every FAIL in any repetition."""
    out = []
    for c in report["checks"]:
        for r in c["runs"]:
            if r["outcome"] == "FAIL" and r["clause_broken"]:
                out.append((c["id"], r["clause_broken"]))
    return out


def judge_mutant(args, name):
    clauses, only, codes = MUTANTS[name]
    os.makedirs(args.work_dir, exist_ok=True)
    proc, url = start_server([args.mutant_server, "--address", "127.0.0.1", "--port", "0",
                              "--mutant", name], os.path.join(args.work_dir, name + ".server.log"))
    extra = ["--timeout-scale", "2"] if name == "broadcast-delay-20ms" else []
    for glob in only or []:
        extra += ["--only", glob]
    try:
        code, seconds, report, output, cmd = run_conform(args, url, name, extra)
    finally:
        stop_server(proc)
    fails = failures(report) if report else []
    killers = sorted({f"{check} ({clause})" for check, clause in fails if clause in clauses})
    others = sorted({clause for _, clause in fails if clause not in clauses})
    if not clauses:
        verdict = "PASSES (not a violation)" if code == 0 else "WRONGLY FAILED"
        ok = code == 0
    elif killers and code in codes:
        verdict, ok = "KILLED", True
    elif fails:
        verdict, ok = "WRONG CLAUSE", False
    else:
        verdict, ok = "SURVIVED", False
    result = {"mutant": name, "expected_clauses": sorted(clauses), "selection": only or ["(all)"],
              "exit_code": code, "accepted_exit_codes": sorted(codes), "killed_by": killers,
              "other_clauses_failed": others, "verdict": verdict, "ok": ok,
              "seconds": round(seconds, 2), "command": " ".join(cmd)}
    with open(os.path.join(args.work_dir, name + ".result.json"), "w") as f:
        json.dump(result, f, indent=2)
    return result, output


def judge_reference(args):
    os.makedirs(args.work_dir, exist_ok=True)
    proc, url = start_server([args.server, "--address", "127.0.0.1", "--port", "0"],
                             os.path.join(args.work_dir, "reference.server.log"))
    try:
        # --server-pid: SHUT-1 is judged too (the server is stopped by the last check)
        code, seconds, report, output, _ = run_conform(args, url, "reference", ["--server-pid", str(proc.pid)])
        proc.wait(timeout=15)
    finally:
        stop_server(proc)
    bad = [f"{c['id']}: {c['outcome']} {c.get('actual') or ''}" for c in report["checks"] if c["outcome"] != "PASS"]
    return code, seconds, bad, output, proc.returncode


def markdown(results):
    lines = ["| mutant | breaks | checks run | killed by (clause) | exit | verdict |",
             "|---|---|---|---|---|---|"]
    for r in results:
        lines.append("| `{}` | {} | {} | {} | {} | {} |".format(
            r["mutant"], ", ".join(r["expected_clauses"]) or "nothing (load generator only)",
            ", ".join(f"`{s}`" for s in r["selection"]), "<br>".join(r["killed_by"]) or "-",
            r["exit_code"], ("**" + r["verdict"] + "**") if not r["ok"] else r["verdict"]))
    killed = sum(1 for r in results if r["ok"] and r["expected_clauses"])
    total = sum(1 for r in results if r["expected_clauses"])
    lines.append("")
    lines.append(f"{killed} of {total} mutants killed by a check mapped to the clause they break.")
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--conform")
    p.add_argument("--server")
    p.add_argument("--mutant-server")
    p.add_argument("--work-dir", default="selftest")
    p.add_argument("command", choices=["names", "reference", "mutant", "matrix"])
    p.add_argument("name", nargs="?")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out")
    args = p.parse_args()
    if args.command == "names":
        print(" ".join(MUTANTS))
        return 0
    if args.command == "reference":
        code, seconds, bad, output, server_code = judge_reference(args)
        print(output)
        print(f"reference: exit {code} in {seconds:.2f} s; server exited {server_code}")
        if code != 0 or bad:
            print("checks that did not PASS:\n  " + "\n  ".join(bad))
            return 1
        return 0
    if args.command == "mutant":
        if args.name not in MUTANTS:
            print(f"unknown mutant '{args.name}'; known: {' '.join(MUTANTS)}")
            return 2
        result, output = judge_mutant(args, args.name)
        print(output)
        print(json.dumps(result, indent=2))
        return 0 if result["ok"] else 1
    if args.command == "matrix":
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = [r for r, _ in pool.map(lambda n: judge_mutant(args, n), MUTANTS)]
        table = markdown(results)
        if args.out:
            with open(args.out, "w") as f:
                f.write("# Kill matrix: chat-conform against chat-server-mutant\n\n" + table)
        print(table)
        return 0 if all(r["ok"] for r in results) else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
