package main

import (
	"slices"
	"strings"
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
	"USE": `
        USE <keyspace>;

          Makes a keyspace the default for later statements; the prompt shows
          it.
`,
	"SHOW": `
        SHOW VERSION | HOST

          Shows the versions of the shell and the node, or where the shell is
          connected.
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

func init() {
	helpTopics["DESC"] = helpTopics["DESCRIBE"]
	helpTopics["QUIT"] = helpTopics["EXIT"]
	helpTopics["CLS"] = helpTopics["CLEAR"]
}

// help prints the list of topics, or the help on each topic asked for.
func (s *Shell) help(topics []string) {
	if len(topics) == 0 {
		var names []string
		for t := range helpTopics {
			if t != "DESC" && t != "QUIT" && t != "CLS" {
				names = append(names, t)
			}
		}
		slices.Sort(names)
		var b strings.Builder
		b.WriteString("\nDocumented shell commands:\n===========================\n")
		columnize(&b, names)
		b.WriteString("\nCQL statements (CREATE, ALTER, DROP, INSERT, UPDATE, DELETE, SELECT, BATCH,\n" +
			"TRUNCATE, ...) end with ';' and go to the node as they are.\n\n")
		s.printf("%s", b.String())
		return
	}
	for _, t := range topics {
		if doc, ok := helpTopics[strings.ToUpper(t)]; ok {
			s.printf("%s\n", doc)
		} else {
			s.printErr("*** No help on " + t)
		}
	}
}
