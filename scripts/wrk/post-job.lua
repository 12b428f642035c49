-- wrk script: every request submits a job that does no work (sleep 0 ms), so the load test
-- measures the submission path: parse, validate, store, queue, answer 202.
wrk.method = "POST"
wrk.body = '{"kind":"sleep","input":{"ms":0}}'
wrk.headers["Content-Type"] = "application/json"
