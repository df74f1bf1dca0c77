-- wrk script for make bench-ingest: each thread POSTs its own file of
-- pre-signed, distinct webhook bodies (one JWT per line) in order, and keeps
-- the body of every 200 so the bench can check each one has its row.
-- BENCH_BODIES is the file prefix: thread N reads "$BENCH_BODIES.N".

local threads = {}
local counter = 0

function setup(thread)
	thread:set("tid", counter)
	counter = counter + 1
	table.insert(threads, thread)
end

function init(args)
	bodies = {}
	ok = {}
	other = 0
	idx = 0
	local f = assert(io.open(os.getenv("BENCH_BODIES") .. "." .. tid, "r"))
	for line in f:lines() do
		bodies[#bodies + 1] = line
	end
	f:close()
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/jwt"
end

function request()
	idx = idx + 1
	if idx > #bodies then
		idx = 1 -- out of distinct events: repeats will be duplicates (reported)
	end
	return wrk.format(nil, "/webhooks/dialpad", nil, bodies[idx])
end

function response(status, headers, body)
	if status == 200 then
		ok[#ok + 1] = body
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	local out = assert(io.open(os.getenv("BENCH_OK"), "w"))
	local n200, nother, sent = 0, 0, 0
	for _, t in ipairs(threads) do
		local bodies_ok = t:get("ok")
		for _, b in ipairs(bodies_ok) do
			out:write(b, "\n")
			n200 = n200 + 1
		end
		nother = nother + t:get("other")
		sent = sent + t:get("idx")
	end
	out:close()
	io.write(string.format("RESULT requests=%d ok=%d non200=%d socket_errors=%d duration_s=%.2f rps=%.0f " ..
		"p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
		summary.requests, n200, nother,
		summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
		summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(90) / 1000,
		latency:percentile(99) / 1000, latency.max / 1000))
end
