package main

import (
	"maps"
	"slices"
	"strings"

	"wcdb/cmd/cqlsh-lite/internal/render"
)

// helpTopics documents the shell's own commands; HELP <topic> prints one.
var helpTopics = map[string]string{
	"CONSISTENCY": `
        CONSISTENCY [level]

          Shows the consistency level of later statements (ONE when the shell
          starts), or sets it: ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_ONE,
          LOCAL_QUORUM, EACH_QUORUM, SERIAL, LOCAL_SERIAL.
`,
	"SERIAL": `
        SERIAL CONSISTENCY [level]

          Shows or sets the serial consistency level of conditional updates:
          SERIAL (the default) or LOCAL_SERIAL.
`,
	"DESCRIBE": `
        DESCRIBE KEYSPACES | KEYSPACE [k] | TABLES | TABLE [k.]t | CLUSTER
                 | [FULL] SCHEMA | <name>

          (DESC for short.) The node answers DESCRIBE; listings print names,
          the others the CQL that recreates the keyspace or table.
`,
	"EXPAND": `
        EXPAND [ON | OFF]

          Shows or switches expanded output: each row printed vertically, one
          line per column, under "@ Row N".
`,
	"PAGING": `
        PAGING [ON | OFF | N]

          Shows or switches paging of results. When on (100 rows a page, or
          N), an interactive shell prints a page and waits at ---MORE--- for
          Enter before it fetches the next.
`,
	"SOURCE": `
        SOURCE '<file>'

          Runs the statements of a file. Errors do not stop it; they are
          reported with the file's name and line.
`,
	"SHOW": `
        SHOW VERSION | HOST | SESSION <trace id>

          Shows the versions of the shell and the node, where the shell is
          connected, or a trace the node recorded in system_traces: its
          events with their times and sources.
`,
	"TRACING": `
        TRACING [ON | OFF]

          Shows or switches request tracing. When on, each statement is
          traced by the node and its trace printed after the result, read
          from system_traces once the node has recorded it: each step with
          its time, source and microseconds since the request arrived.
`,
	"CAPTURE": `
        CAPTURE ['<file>' | OFF]

          Appends the results of queries to a file instead of showing them
          (the shell's messages and errors still show), until CAPTURE OFF.
          Without an argument, shows whether output is being captured.
`,
	"LOGIN": `
        LOGIN <user> ['<password>']

          Connects again as another user, in the same keyspace; asks for
          the password when it is not given. The session stays as it was
          when the login fails.
`,
	"COPY": `
        COPY [ks.]table [(col, ...)] TO '<file>' | STDOUT
             [WITH opt = value [AND ...]]
        COPY [ks.]table [(col, ...)] FROM '<file>' | STDIN
             [WITH opt = value [AND ...]]

          Exports a table's rows to a CSV file, or imports them from one
          (STDIN: the lines that follow, up to \. on a line of its own).
          Without columns, all of them: the primary key, then the others
          by name. Values are written as the shell shows them (text as it
          is, floats with every digit, collections as CQL literals).

          Options of both:
            HEADER = false       the first line names the columns
            DELIMITER = ','      between fields
            QUOTE = '"'          around fields holding one, a quote or a newline
            ESCAPE = '\'         before a quote (or escape) inside quotes
            NULL = ''            a null; the null string in quotes is a string
          TO:
            PAGESIZE = 1000      rows per page of the export query
          FROM:
            MAXBATCHSIZE = 20    rows per unlogged batch of prepared INSERTs
            CHUNKSIZE = 5000     rows a worker takes at a time
            NUMPROCESSES = 4     concurrent workers
            MAXATTEMPTS = 5      tries of a row the node timed out on
            MAXPARSEERRORS = -1  unreadable rows borne before stopping (-1: all)
            MAXINSERTERRORS = -1 rows the node refused borne before stopping
            MAXERRORS = -1       both together
            ERRFILE = ''         a file to write the failed rows to

          Each failed row is reported with its line and why; the others are
          imported. Progress is printed as it goes, then the rows and time.
`,
	"CLEAR": `
        CLEAR (or CLS)

          Clears the terminal.
`,
	"EXIT": `
        EXIT (or QUIT, or Ctrl-D)

          Leaves the shell.
`,
	"HELP": `
        HELP [topic]

          Lists the topics, or explains one.
`,
}

// helpDoc returns the help on a topic (upper case, words joined by '_'):
// a shell command's or a CQL statement's.
func helpDoc(topic string) (string, bool) {
	if alias, ok := helpAliases[topic]; ok {
		topic = alias
	}
	if doc, ok := helpTopics[topic]; ok {
		return doc, true
	}
	doc, ok := cqlTopics[topic]
	return doc, ok
}

// help prints the lists of topics, or the help on each topic asked for. A
// topic may be given in words (HELP CREATE TABLE) as well as joined
// (HELP CREATE_TABLE).
func (s *Shell) help(args []string) {
	if len(args) == 0 {
		var b strings.Builder
		b.WriteString("\nDocumented shell commands:\n===========================\n")
		render.Columnize(&b, slices.Sorted(maps.Keys(helpTopics)))
		b.WriteString("\nCQL help topics:\n================\n")
		render.Columnize(&b, slices.Sorted(maps.Keys(cqlTopics)))
		b.WriteString("\n")
		s.printf("%s", b.String())
		return
	}
	for i := 0; i < len(args); {
		n := 0
		// The longest run of words that names a topic.
		for k := min(3, len(args)-i); k >= 1 && n == 0; k-- {
			topic := strings.ToUpper(strings.Join(args[i:i+k], "_"))
			if doc, ok := helpDoc(topic); ok {
				s.printf("%s\n", doc)
				n = k
			}
		}
		if n == 0 {
			s.printErr("*** No help on " + args[i])
			n = 1
		}
		i += n
	}
}
