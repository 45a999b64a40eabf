// Package parser turns CQL text into a syntax tree (package ast): Parse
// reads one statement, ParseAll a ';'-separated script. The grammar is
// Cassandra 4.x's (src/antlr/Parser.g and Lexer.g), written by hand as a
// recursive-descent parser (lexer.go, parser.go and parse_*.go by kind of
// statement); errors read like Cassandra's so drivers and users see familiar
// messages. It knows nothing of schemas: query resolves names and types.
package parser
