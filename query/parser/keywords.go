package parser

import (
	"strings"
	"wcdb/query/ast"
)

// The keywords of CQL: their table, lookup and reserved subset.

// keyword identifies a CQL keyword. kwNone means "not a keyword".
type keyword uint8

const (
	kwNone keyword = iota
	// Reserved keywords (IsReservedKeyword).
	kwAdd
	kwAllow
	kwAlter
	kwAnd
	kwApply
	kwAsc
	kwAuthorize
	kwBatch
	kwBegin
	kwBy
	kwColumnfamily // also TABLE
	kwCreate
	kwDelete
	kwDesc
	kwDescribe
	kwDrop
	kwEntries
	kwExecute
	kwFrom
	kwFull
	kwGrant
	kwIf
	kwIn
	kwIndex
	kwInfinity
	kwInsert
	kwInto
	kwIs
	kwKeyspace
	kwLimit
	kwMaterialized
	kwModify
	kwNaN
	kwNorecursive
	kwNot
	kwNull
	kwOf
	kwOn
	kwOr
	kwOrder
	kwPrimary
	kwRename
	kwRevoke
	kwSchema // Lexer.g's K_SCHEMA: a synonym of KEYSPACE, and DESCRIBE SCHEMA
	kwSelect
	kwSet
	kwTo
	kwToken
	kwTruncate
	kwUnlogged
	kwUpdate
	kwUse
	kwUsing
	kwView
	kwWhere
	kwWith

	// Unreserved keywords: usable as identifiers.
	kwAccess
	kwAggregate
	kwAggregates
	kwAll
	kwAs
	kwCalled
	kwCast
	kwCluster
	kwClustering
	kwCompact
	kwContains
	kwCount
	kwCustom
	kwDatacenters
	kwDefault
	kwDistinct
	kwExists
	kwFiltering
	kwFinalfunc
	kwFrozen
	kwFunction
	kwFunctions
	kwGroup
	kwHashed
	kwInitcond
	kwInput
	kwInternals
	kwJSON
	kwKey
	kwKeys
	kwKeyspaces
	kwLanguage
	kwLike
	kwList
	kwLogin
	kwMap
	kwMbean
	kwMbeans
	kwNologin
	kwNosuperuser
	kwOnly
	kwOptions
	kwPartition
	kwPassword
	kwPer
	kwPermission
	kwPermissions
	kwReplace
	kwReturns
	kwRole
	kwRoles
	kwSfunc
	kwStatic
	kwStorage
	kwStype
	kwSuperuser
	kwTables // also COLUMNFAMILIES
	kwTrigger
	kwTTL
	kwTuple
	kwType
	kwTypes
	kwUnset
	kwUser
	kwUsers
	kwValues
	kwWritetime
	// Native type names, also unreserved.
	kwAscii
	kwBigint
	kwBlob
	kwBoolean
	kwCounter
	kwDate
	kwDecimal
	kwDouble
	kwDuration
	kwFloat
	kwInet
	kwInt
	kwSmallint
	kwText
	kwTime
	kwTimestamp
	kwTimeuuid
	kwTinyint
	kwUUID
	kwVarchar
	kwVarint
	// Literal words: lexed as tBool, never as identifiers.
	kwTrue
	kwFalse
	numKeywords
)

// keywordTable is an open-addressing hash table from lower-case words to
// keywords: the lexer hashes each word while scanning it, so recognising a
// keyword costs one probe and one comparison, without a map lookup.
var keywordTable [keywordTableSize]struct {
	word string
	kw   keyword
}

const keywordTableSize = 512 // a power of two, about three times the keyword count

// wordHash folds one lower-case byte into a word's hash.
func wordHash(h uint32, c byte) uint32 { return h*31 + uint32(c) }

func addKeyword(word string, kw keyword) {
	var h uint32
	for i := 0; i < len(word); i++ {
		h = wordHash(h, word[i])
	}
	i := (h ^ h>>9) & (keywordTableSize - 1)
	for keywordTable[i].word != "" {
		i = (i + 1) & (keywordTableSize - 1)
	}
	keywordTable[i].word, keywordTable[i].kw = word, kw
}

// lookupHashed finds word, whose lower-case hash is h, in keywordTable.
func lookupHashed(word string, h uint32) keyword {
	for i := (h ^ h>>9) & (keywordTableSize - 1); ; i = (i + 1) & (keywordTableSize - 1) {
		e := &keywordTable[i]
		if e.word == "" {
			return kwNone
		}
		if len(e.word) == len(word) && equalLower(word, e.word) {
			return e.kw
		}
	}
}

// equalLower reports whether s folded to ASCII lower case equals lower.
func equalLower(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// keywordNames is the canonical upper-case spelling of each keyword, as in
// Cassandra's token names minus the K_ prefix.
var keywordNames = [numKeywords]string{
	kwAdd: "ADD", kwAllow: "ALLOW", kwAlter: "ALTER", kwAnd: "AND", kwApply: "APPLY",
	kwAsc: "ASC", kwAuthorize: "AUTHORIZE", kwBatch: "BATCH", kwBegin: "BEGIN", kwBy: "BY",
	kwColumnfamily: "COLUMNFAMILY", kwCreate: "CREATE", kwDelete: "DELETE", kwDesc: "DESC",
	kwDescribe: "DESCRIBE", kwDrop: "DROP", kwEntries: "ENTRIES", kwExecute: "EXECUTE",
	kwFrom: "FROM", kwFull: "FULL", kwGrant: "GRANT", kwIf: "IF", kwIn: "IN", kwIndex: "INDEX",
	kwInfinity: "INFINITY", kwInsert: "INSERT", kwInto: "INTO", kwIs: "IS", kwKeyspace: "KEYSPACE",
	kwLimit: "LIMIT", kwMaterialized: "MATERIALIZED", kwModify: "MODIFY", kwNaN: "NAN",
	kwNorecursive: "NORECURSIVE", kwNot: "NOT", kwNull: "NULL", kwOf: "OF", kwOn: "ON", kwOr: "OR",
	kwOrder: "ORDER", kwPrimary: "PRIMARY", kwRename: "RENAME", kwRevoke: "REVOKE", kwSchema: "SCHEMA",
	kwSelect: "SELECT", kwSet: "SET", kwTo: "TO", kwToken: "TOKEN", kwTruncate: "TRUNCATE",
	kwUnlogged: "UNLOGGED", kwUpdate: "UPDATE", kwUse: "USE", kwUsing: "USING", kwView: "VIEW",
	kwWhere: "WHERE", kwWith: "WITH",

	kwAccess: "ACCESS", kwAggregate: "AGGREGATE", kwAggregates: "AGGREGATES", kwAll: "ALL",
	kwAs: "AS", kwCalled: "CALLED", kwCast: "CAST", kwCluster: "CLUSTER",
	kwClustering: "CLUSTERING", kwCompact: "COMPACT", kwContains: "CONTAINS", kwCount: "COUNT",
	kwCustom: "CUSTOM", kwDatacenters: "DATACENTERS", kwDefault: "DEFAULT",
	kwDistinct: "DISTINCT", kwExists: "EXISTS", kwFiltering: "FILTERING",
	kwFinalfunc: "FINALFUNC", kwFrozen: "FROZEN", kwFunction: "FUNCTION",
	kwFunctions: "FUNCTIONS", kwGroup: "GROUP", kwHashed: "HASHED", kwInitcond: "INITCOND",
	kwInput: "INPUT", kwInternals: "INTERNALS", kwJSON: "JSON", kwKey: "KEY", kwKeys: "KEYS",
	kwKeyspaces: "KEYSPACES", kwLanguage: "LANGUAGE", kwLike: "LIKE", kwList: "LIST",
	kwLogin: "LOGIN", kwMap: "MAP", kwMbean: "MBEAN", kwMbeans: "MBEANS", kwNologin: "NOLOGIN",
	kwNosuperuser: "NOSUPERUSER", kwOnly: "ONLY", kwOptions: "OPTIONS",
	kwPartition: "PARTITION", kwPassword: "PASSWORD", kwPer: "PER",
	kwPermission: "PERMISSION", kwPermissions: "PERMISSIONS", kwReplace: "REPLACE",
	kwReturns: "RETURNS", kwRole: "ROLE", kwRoles: "ROLES", kwSfunc: "SFUNC",
	kwStatic: "STATIC", kwStorage: "STORAGE", kwStype: "STYPE", kwSuperuser: "SUPERUSER",
	kwTables: "TABLES", kwTrigger: "TRIGGER", kwTTL: "TTL", kwTuple: "TUPLE", kwType: "TYPE",
	kwTypes: "TYPES", kwUnset: "UNSET", kwUser: "USER", kwUsers: "USERS", kwValues: "VALUES",
	kwWritetime: "WRITETIME",

	kwAscii: "ASCII", kwBigint: "BIGINT", kwBlob: "BLOB", kwBoolean: "BOOLEAN",
	kwCounter: "COUNTER", kwDate: "DATE", kwDecimal: "DECIMAL", kwDouble: "DOUBLE",
	kwDuration: "DURATION", kwFloat: "FLOAT", kwInet: "INET", kwInt: "INT",
	kwSmallint: "SMALLINT", kwText: "TEXT", kwTime: "TIME", kwTimestamp: "TIMESTAMP",
	kwTimeuuid: "TIMEUUID", kwTinyint: "TINYINT", kwUUID: "UUID", kwVarchar: "VARCHAR",
	kwVarint: "VARINT",

	kwTrue: "TRUE", kwFalse: "FALSE",
}

func init() {
	for kw := keyword(1); kw < numKeywords; kw++ {
		addKeyword(strings.ToLower(keywordNames[kw]), kw)
	}
	// Lexer aliases (Lexer.g: K_COLUMNFAMILY: COLUMNFAMILY | TABLE, and
	// K_TABLES: COLUMNFAMILIES | TABLES).
	addKeyword("table", kwColumnfamily)
	addKeyword("columnfamilies", kwTables)
}

// reserved reports whether kw can never be an unquoted identifier.
func (kw keyword) reserved() bool { return reservedKw[kw] }

// reservedKw marks the reserved keywords (IsReservedKeyword's).
var reservedKw = func() (r [numKeywords]bool) {
	for kw := keyword(1); kw < numKeywords; kw++ {
		r[kw] = ast.IsReservedKeyword(keywordNames[kw])
	}
	return r
}()

// isNativeType reports whether kw names a native CQL type.
func (kw keyword) isNativeType() bool { return kw >= kwAscii && kw <= kwVarint }

// lookupKeyword returns the keyword spelled by word (any case), or kwNone.
func lookupKeyword(word string) keyword {
	var h uint32
	for i := 0; i < len(word); i++ {
		c := word[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = wordHash(h, c)
	}
	return lookupHashed(word, h)
}
