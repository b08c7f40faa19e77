import AsyncHTTPClient
import Foundation
import NIOSSL
import ProctorClient
import ProctorServer
import Testing

/// Serving HTTPS directly, for those without a reverse proxy.
@Suite struct TLSTests {
    /// A self-signed certificate for 127.0.0.1, made with the openssl command.
    func makeCertificate(in directory: String) async throws -> (certificate: String, key: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let cert = directory + "/cert.pem", key = directory + "/key.pem"
        let made = try await runToEnd("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        #expect(made.status == 0)
        return (cert, key)
    }

    @Test func theServiceAnswersOverTLSWithItsCertificateAndRefusesPlainHTTP() async throws {
        let directory = NSTemporaryDirectory() + "proctor-tls-" + UUID().uuidString
        let (cert, key) = try await makeCertificate(in: directory)
        let server = try await TestServer(slots: 0, configure: { $0.tls = TLSFiles(certificateChain: cert, privateKey: key) })
        defer { Task { await server.stop() } }

        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(cert))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(tlsConfiguration: tls))
        let secure = ProctorClient(server: "https://127.0.0.1:\(server.port)", token: nil, http: http)
        #expect(try await secure.send(.GET, "/healthz").status == 200)
        // A client that does not trust the certificate is refused by its own TLS check.
        let untrusting = ProctorClient(server: "https://127.0.0.1:\(server.port)", token: nil)
        await #expect(throws: (any Error).self) { try await untrusting.send(.GET, "/healthz") }
        // Plain HTTP on the TLS port gets no answer.
        let plain = ProctorClient(server: "http://127.0.0.1:\(server.port)", token: nil)
        let answer = try? await plain.send(.GET, "/healthz")
        #expect(answer?.status != 200)
        try await http.shutdown()
    }

    @Test func aMissingCertificateStopsTheStartWithTheFileNamed() async throws {
        let directory = NSTemporaryDirectory() + "proctor-tls-" + UUID().uuidString
        let error = await #expect(throws: (any Error).self) {
            _ = try await TestServer(slots: 0, configure: {
                $0.tls = TLSFiles(certificateChain: directory + "/missing.pem", privateKey: directory + "/missing-key.pem")
            })
        }
        #expect(error.map { "\($0)".contains("missing.pem") } == true)
    }
}
