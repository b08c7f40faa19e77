import ProctorCore

/// A database the store runs its SQL on: SQLite through GRDB, or PostgreSQL
/// through postgres-nio. The store's queries are written once; a driver only
/// renders and runs them, and claims jobs in the way its database does best.
protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }

    /// Runs one statement that only reads.
    func read(_ statement: SQL) async throws -> [SQLRow]

    /// Runs one statement that writes, as its own transaction, and returns its rows (`RETURNING`).
    func write(_ statement: SQL) async throws -> [SQLRow]

    /// One transaction: runs `first` in order, then the statements `then`
    /// decides on from their rows, and commits; an error thrown by `then`
    /// rolls everything back and comes out as itself.
    func transaction<T: Sendable>(_ first: [SQL], then: @Sendable ([[SQLRow]]) throws -> FollowUp<T>) async throws -> T

    /// Leases the next job in fair order (see ``JobStore/claim(worker:competitions:maxRunningPerUser:maxExpectedTime:at:leaseUntil:)``).
    func claim(_ request: ClaimRequest) async throws -> Job?

    /// Returns once the database takes queries (its schema migrated).
    func ready() async throws

    /// Gives the space of deleted rows back to the file system where the database keeps it.
    func reclaimSpace() async throws
}

/// What a transaction does after its first statements: more statements, and its result.
struct FollowUp<T: Sendable>: Sendable {
    var statements: [SQL]
    var result: T

    init(_ statements: [SQL] = [], result: T) {
        self.statements = statements
        self.result = result
    }
}

/// What one claimer asks for.
struct ClaimRequest: Sendable {
    var worker: String
    var competitions: [String]
    var maxRunningPerUser: Int
    var maxExpectedTime: Double?
    var at: Date
    var leaseUntil: Date
}

import Foundation
