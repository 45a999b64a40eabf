package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/peterh/liner"
)

const usageLine = "usage: cqlsh-lite [options] [host[:port] [port]]"

const usage = usageLine + `

The shell of wcdb: CQL statements end with ';', shell commands (HELP lists
them) with ';' or the end of the line. Connects to 127.0.0.1:9042 unless told
otherwise ($CQLSH_HOST and $CQLSH_PORT change the defaults). Options may come
before or after the host.

options:
  -k, --keyspace KS        USE this keyspace from the start
  -u, --username USER      log in as USER (asks for the password unless -p)
  -p, --password PASS      password of USER
  -e, --execute STMTS      run the statements and exit
  -f, --file FILE          run the statements of FILE and exit
  --ssl                    connect with TLS: the cqlshrc's [ssl] certfile is the
                           CA the node's certificate must chain to (unless
                           validate = false), usercert and userkey a client
                           certificate ($SSL_CERTFILE, $SSL_VALIDATE override)
  -C, --color              colour results and errors even when not at a terminal
  --no-color               never colour (default: colour at a terminal, as the
                           cqlshrc's [ui] color = on | off says otherwise)
  --cqlshrc FILE           settings file (default ~/.cassandra/cqlshrc, else
                           ~/.cqlshrc); read, where the command line says
                           nothing: [connection] hostname, port, ssl,
                           connect_timeout, request_timeout; [authentication]
                           username, password, keyspace; the [ssl] section;
                           [ui] color
  --connect-timeout SECS   give up connecting after SECS seconds (default 5)
  --request-timeout SECS   give up on a request after SECS seconds (default 10)
  -h, --help               show this help

Without -e or -f, statements come from the terminal (line editing, history
in ~/.cqlsh_lite_history) or, when stdin is not a terminal, from stdin.
When statements do not come from a terminal, an error exits with status 2
once the rest has run.
`

// historyFile is where the interactive shell keeps its history, in $HOME.
const historyFile = ".cqlsh_lite_history"

// options are the command line's settings.
type options struct {
	conn            connConfig
	keyspace        string
	execute, file   string
	cqlshrc         string
	connectTimeout  int
	requestTimeout  int
	executeGiven    bool
	passwordGiven   bool
	positionalHosts []string
	color           colorMode
}

// parseArgs reads the command line. Flags may come before or after the
// host, as with cqlsh. It returns the exit status to stop with when the
// command line was help or wrong.
func parseArgs(args []string, stdout, stderr io.Writer) (*options, int, bool) {
	o := &options{}
	fs := flag.NewFlagSet("cqlsh-lite", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, name := range []string{"k", "keyspace"} {
		fs.StringVar(&o.keyspace, name, "", "")
	}
	for _, name := range []string{"u", "username"} {
		fs.StringVar(&o.conn.user, name, "", "")
	}
	for _, name := range []string{"p", "password"} {
		fs.StringVar(&o.conn.password, name, "", "")
	}
	for _, name := range []string{"e", "execute"} {
		fs.StringVar(&o.execute, name, "", "")
	}
	for _, name := range []string{"f", "file"} {
		fs.StringVar(&o.file, name, "", "")
	}
	var ssl, color, noColor bool
	fs.BoolVar(&ssl, "ssl", false, "")
	fs.BoolVar(&color, "C", false, "")
	fs.BoolVar(&color, "color", false, "")
	fs.BoolVar(&noColor, "no-color", false, "")
	fs.StringVar(&o.cqlshrc, "cqlshrc", defaultCqlshrc(), "")
	fs.IntVar(&o.connectTimeout, "connect-timeout", 5, "")
	fs.IntVar(&o.requestTimeout, "request-timeout", 10, "")
	bad := func(format string, a ...any) (*options, int, bool) {
		fmt.Fprintf(stderr, "cqlsh-lite: "+format+"\n%s (--help for more)\n", append(a, usageLine)...)
		return nil, 2, false
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, usage)
				return nil, 0, false
			}
			return bad("%v", err)
		}
		if args = fs.Args(); len(args) == 0 {
			break
		}
		o.positionalHosts = append(o.positionalHosts, args[0])
		args = args[1:]
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		given[f.Name] = true
		switch f.Name {
		case "e", "execute":
			o.executeGiven = true
		case "p", "password":
			o.passwordGiven = true
		}
	})
	rc, err := readCqlshrc(o.cqlshrc)
	if err != nil {
		return bad("cqlshrc: %v", err)
	}
	// The cqlshrc's settings, as cqlsh reads them, where the command line
	// says nothing: [authentication] username, password, keyspace;
	// [connection] connect_timeout, request_timeout (hostname and port
	// below, under $CQLSH_HOST and $CQLSH_PORT).
	if u, ok := rc["authentication"]["username"]; ok && !given["u"] && !given["username"] {
		o.conn.user = u
		if pw, ok := rc["authentication"]["password"]; ok && !o.passwordGiven {
			o.conn.password, o.passwordGiven = pw, true
		}
	}
	if ks, ok := rc["authentication"]["keyspace"]; ok && !given["k"] && !given["keyspace"] {
		o.keyspace = ks
	}
	for _, t := range []struct {
		key  string
		dst  *int
		flag string
	}{{"connect_timeout", &o.connectTimeout, "connect-timeout"}, {"request_timeout", &o.requestTimeout, "request-timeout"}} {
		if v, ok := rc["connection"][t.key]; ok && !given[t.flag] {
			n, err := strconv.Atoi(v)
			if err != nil {
				return bad("cqlshrc: [connection] %s = %q is not a number of seconds", t.key, v)
			}
			*t.dst = n
		}
	}
	if o.executeGiven && o.file != "" {
		return bad("-e and -f exclude each other")
	}
	if color && noColor {
		return bad("--color and --no-color exclude each other")
	}
	if o.connectTimeout <= 0 || o.requestTimeout <= 0 {
		return bad("timeouts must be positive")
	}
	o.conn.connectTimeout = time.Duration(o.connectTimeout) * time.Second
	o.conn.requestTimeout = time.Duration(o.requestTimeout) * time.Second
	host, port := "127.0.0.1", "9042"
	if h, ok := rc["connection"]["hostname"]; ok && h != "" {
		host = h
	}
	if p, ok := rc["connection"]["port"]; ok && p != "" {
		port = p
	}
	if h := os.Getenv("CQLSH_HOST"); h != "" {
		host = h
	}
	if p := os.Getenv("CQLSH_PORT"); p != "" {
		port = p
	}
	switch len(o.positionalHosts) {
	case 0:
	case 1, 2:
		host = o.positionalHosts[0]
		if h, p, err := net.SplitHostPort(host); err == nil {
			host, port = h, p
		}
		if len(o.positionalHosts) == 2 {
			port = o.positionalHosts[1]
		}
	default:
		return bad("too many arguments: %q", o.positionalHosts)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return bad("%q is not a valid port number", port)
	}
	o.conn.host, o.conn.port = host, n
	switch v, set := rc["ui"]["color"]; {
	case color:
		o.color = colorOn
	case noColor:
		o.color = colorOff
	case set && isTrue(v):
		o.color = colorOn
	case set:
		o.color = colorOff
	}
	st, err := sslFrom(rc, ssl)
	if err != nil {
		return bad("%v", err)
	}
	if o.conn.tls, err = st.tlsConfig(); err != nil {
		return bad("ssl: %v", err)
	}
	return o, 0, true
}

// run is the whole command; it returns the exit status: 0, 1 when the
// node cannot be reached, 2 for a wrong command line or when a statement
// not typed at a terminal failed.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, status, ok := parseArgs(args, stdout, stderr)
	if !ok {
		return status
	}
	tty := !o.executeGiven && o.file == "" && stdin == io.Reader(os.Stdin) && stdinIsTerminal()

	var term *termReader
	if tty {
		term = newTermReader()
		defer term.close()
	}
	if o.conn.user != "" && !o.passwordGiven {
		if term == nil {
			fmt.Fprintln(stderr, "cqlsh-lite: -u needs -p when stdin is not a terminal")
			return 2
		}
		pw, err := term.l.PasswordPrompt("Password: ")
		if err != nil {
			return 1
		}
		o.conn.password = pw
	}

	var file *os.File
	if o.file != "" {
		f, err := os.Open(o.file)
		if err != nil {
			fmt.Fprintf(stderr, "Can't open '%s': %v\n", o.file, err)
			return 1
		}
		defer f.Close()
		file = f
	}

	session, err := o.conn.connect("")
	if err != nil {
		fmt.Fprintf(stderr, "Connection error: %v\n", err)
		return 1
	}
	sh := newShell(o.conn, session, stdout, stderr)
	defer sh.close()
	sh.color = useColor(o.color, tty)
	sh.loadVersions()
	if o.keyspace != "" {
		if err := sh.switchKeyspace(o.keyspace); err != nil {
			fmt.Fprintf(stderr, "Connection error: %s\n", errorText(err))
			return 1
		}
	}

	switch {
	case tty:
		fmt.Fprintf(stdout, "%s\n%s\nUse HELP for help.\n", sh.hostLine(), sh.versionLine())
		interrupts := make(chan os.Signal, 1)
		signal.Notify(interrupts, os.Interrupt)
		defer signal.Stop(interrupts)
		sh.interrupts = interrupts
		sh.term = term
		term.l.SetWordCompleter(sh.completeWord)
		// A first tab completes what all candidates share, a second
		// lists them, as readline (and so cqlsh) does.
		term.l.SetTabCompletionStyle(liner.TabPrints)
		sh.run(term, true, "<stdin>")
		return 0
	case o.executeGiven:
		sh.input = newPlainReader(stdin) // for COPY FROM STDIN
		sh.runString(o.execute)
	case file != nil:
		sh.run(newPlainReader(file), false, o.file)
	default:
		sh.run(newPlainReader(stdin), false, "<stdin>")
	}
	if sh.failed {
		return 2
	}
	return 0
}

func stdinIsTerminal() bool {
	_, err := liner.TerminalMode()
	return err == nil
}

// termReader reads lines at the terminal with line editing and a history
// kept in ~/.cqlsh_lite_history.
type termReader struct {
	l    *liner.State
	path string
	// in is what liner reads: stdin through pasteFilter.
	in io.Reader
	// plain reads in once line editing turned out impossible (stdout is
	// not a terminal).
	plain *plainReader
	// pasting is whether bracketed paste was switched on, to switch off.
	pasting bool
}

func newTermReader() *termReader {
	t := &termReader{in: os.Stdin}
	// liner reads os.Stdin as it starts (and sets the terminal's modes on
	// file descriptor 0 itself): hand it the filtered pipe instead.
	if in, err := pasteFilter(os.Stdin); err == nil {
		stdin := os.Stdin
		os.Stdin, t.in = in, in
		t.l = liner.NewLiner()
		os.Stdin = stdin
		if isTerminalOutput(os.Stdout) {
			io.WriteString(os.Stdout, bracketedPasteOn)
			t.pasting = true
		}
	} else {
		t.l = liner.NewLiner()
	}
	t.l.SetCtrlCAborts(true)
	// Long lines wrap onto the next rows rather than scroll sideways.
	t.l.SetMultiLineMode(true)
	if home, err := os.UserHomeDir(); err == nil {
		t.path = filepath.Join(home, historyFile)
		if b, err := os.ReadFile(t.path); err == nil {
			t.l.ReadHistory(strings.NewReader(toEditor(string(b))))
		}
	}
	return t
}

func (t *termReader) ReadLine(prompt string) (string, error) {
	if t.plain != nil {
		return t.plain.ReadLine(prompt)
	}
	line, err := t.l.Prompt(prompt)
	switch {
	case errors.Is(err, liner.ErrPromptAborted):
		return "", errInterrupted
	case errors.Is(err, liner.ErrNotTerminalOutput):
		t.plain = newPlainReader(t.in)
		return t.plain.ReadLine(prompt)
	}
	return fromEditor(line), err
}

// ReadPassword asks for a password without echoing it.
func (t *termReader) ReadPassword(prompt string) (string, error) {
	if t.plain != nil {
		return "", liner.ErrNotTerminalOutput
	}
	pw, err := t.l.PasswordPrompt(prompt)
	if errors.Is(err, liner.ErrPromptAborted) {
		return "", errInterrupted
	}
	return fromEditor(pw), err
}

func (t *termReader) AddHistory(entry string) {
	if entry != "" {
		t.l.AppendHistory(toEditor(entry))
	}
}

// close saves the history and gives the terminal back its mode.
func (t *termReader) close() {
	if t.path != "" {
		var b strings.Builder
		if _, err := t.l.WriteHistory(&b); err == nil {
			os.WriteFile(t.path, []byte(fromEditor(b.String())), 0o600)
		}
	}
	t.l.Close()
	if t.pasting {
		io.WriteString(os.Stdout, bracketedPasteOff)
	}
}
