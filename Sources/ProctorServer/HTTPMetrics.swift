/// Request counts and latency per route and status, for `/metrics`.
actor HTTPMetrics {
    struct Key: Hashable { var route: String; var status: Int }
    private var counts: [Key: Int] = [:]
    private var seconds: [String: Double] = [:]
    private(set) var rateLimited = 0

    func record(route: String, status: Int, seconds elapsed: Double) {
        counts[Key(route: route, status: status), default: 0] += 1
        seconds[route, default: 0] += elapsed
        if status == 429 { rateLimited += 1 }
    }

    /// Prometheus text lines for the HTTP part.
    func render() -> String {
        var lines = ["# HELP proctor_http_requests_total HTTP requests by route and status.", "# TYPE proctor_http_requests_total counter"]
        for (key, count) in counts.sorted(by: { ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status) }) {
            lines.append("proctor_http_requests_total{route=\"\(key.route)\",status=\"\(key.status)\"} \(count)")
        }
        lines.append("# HELP proctor_http_request_seconds_total Time spent answering, by route.")
        lines.append("# TYPE proctor_http_request_seconds_total counter")
        for (route, total) in seconds.sorted(by: { $0.key < $1.key }) {
            lines.append("proctor_http_request_seconds_total{route=\"\(route)\"} \(total)")
        }
        lines.append("# HELP proctor_rate_limited_total Requests refused with 429.")
        lines.append("# TYPE proctor_rate_limited_total counter")
        lines.append("proctor_rate_limited_total \(rateLimited)")
        return lines.joined(separator: "\n") + "\n"
    }
}
