import Hummingbird

/// Requires `Authorization: Bearer <token>` on every endpoint except `/healthz` and `/readyz` (probes stay open).
///
/// The token comes from `http.bearerToken`, `REFERRAL_ROUTER_HTTP_BEARERTOKEN` or the file named by
/// `http.bearerTokenFile`; it is never logged.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/healthz" || request.uri.path == "/readyz" {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            Self.constantTimeEquals(Array(header.utf8.dropFirst(7)), Array(self.token.utf8))
        else {
            return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"referral-router\""])
        }
        return try await next(request, context)
    }

    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) { difference |= left ^ right }
        return difference == 0
    }
}
