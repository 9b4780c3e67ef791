"""The benchmarks' harness: one module per concern, shared by bench.run and bench.chat.

    common.py      paths, 127.0.0.1, `say`, `fetch`, the API token, which tools exist
    targets.py     every target, defined once (`python -m bench.harness.targets` lists them)
    processes.py   free ports, starting/stopping gunicorn and other servers, memory
    stub.py        a stub Rasa that answers late (and a closed address: nothing listens)
    cpu.py         CPU accounting from /proc: server tree, database, others, steal
    catalogues.py  the demo and generated catalogues, loaded as production loads them
    load.py        what to request, wrk's Lua script, running wrk, warming the server up
    pageweight.py  page weight in Chromium (Playwright) and the static files' cache headers
    profile.py     in-process timing and cProfile of the search
    portal.py      every import from the portal (its module paths, in one place)
    report.py      percentiles, tables, verdicts, and the JSON files in bench/results/
"""
