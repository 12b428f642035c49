-- wrk script: every request submits a job that does no work (sleep 0 ms), so the load test
-- measures the submission path: parse, validate, store, queue, answer 202.
--
-- It also counts the answers by status, so the bench can say what its non-2xx answers were
-- (a 503 `queue_full` is the server's backpressure: the job queue was full, nothing broke).
wrk.method = "POST"
wrk.body = '{"kind":"sleep","input":{"ms":0}}'
wrk.headers["Content-Type"] = "application/json"

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init()
    statuses = {}
end

function response(status)
    statuses[status] = (statuses[status] or 0) + 1
end

function done()
    local total = {}
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses")) do
            total[status] = (total[status] or 0) + count
        end
    end
    local parts = {}
    for status, count in pairs(total) do
        table.insert(parts, status .. "=" .. count)
    end
    table.sort(parts)
    io.write("Statuses: " .. table.concat(parts, " ") .. "\n")
end
