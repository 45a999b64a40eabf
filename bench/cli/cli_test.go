package cli

import "io"

// run runs args as wcdb does ("bench", the command, its arguments).
func run(args []string, stdout, stderr io.Writer) int {
	switch args[1] {
	case "ycsb":
		return YCSB(args[2:], stdout, stderr)
	case "timeline":
		return Timeline(args[2:], stdout, stderr)
	case "lwt":
		return LWT(args[2:], stdout, stderr)
	case "report":
		return Report(args[2:], stdout, stderr)
	}
	panic("no command " + args[1])
}
