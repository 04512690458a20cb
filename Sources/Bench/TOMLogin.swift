import AsyncHTTPClient

/// A login to elasticc-api as TomClient makes it, for the HTTP benchmarks.
enum TOMLogin {
    /// Logs in as TomClient does: the csrftoken cookie, then the form; returns the token and cookies.
    static func logIn(_ http: HTTPClient, url: String, username: String, password: String) async throws -> (csrf: String, cookie: String) {
        let page = try await http.execute(HTTPClientRequest(url: url + "/accounts/login/"), timeout: .seconds(30))
        _ = try await page.body.collect(upTo: 1 << 20)
        guard let csrf = cookie("csrftoken", in: page.headers["set-cookie"]) else {
            throw RESTPushBenchmark.Failure(description: "no csrftoken cookie")
        }
        var form = HTTPClientRequest(url: url + "/accounts/login/")
        form.method = .POST
        form.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        form.headers.add(name: "Cookie", value: "csrftoken=\(csrf)")
        form.body = .bytes(Array("username=\(username)&password=\(password)&csrfmiddlewaretoken=\(csrf)".utf8))
        let login = try await http.execute(form, timeout: .seconds(30))
        _ = try await login.body.collect(upTo: 1 << 20)
        guard let session = cookie("sessionid", in: login.headers["set-cookie"]) else {
            throw RESTPushBenchmark.Failure(description: "login refused")
        }
        return (csrf, "csrftoken=\(csrf); sessionid=\(session)")
    }

    static func cookie(_ name: String, in headers: [String]) -> String? {
        for header in headers {
            guard let pair = header.split(separator: ";").first, pair.hasPrefix(name + "=") else { continue }
            return String(pair.dropFirst(name.count + 1))
        }
        return nil
    }
}
