package main

import "os"

// colorMode is the colour setting before the terminal is looked at.
type colorMode int

const (
	colorAuto colorMode = iota // when the output is a terminal that shows colour
	colorOn
	colorOff
)

// useColor decides the shell's colour, as cqlsh does: --color or
// --no-color, else the cqlshrc's [ui] color, else colour when the shell is
// interactive on a terminal that is not dumb (and $NO_COLOR is not set).
func useColor(mode colorMode, interactive bool) bool {
	switch mode {
	case colorOn:
		return true
	case colorOff:
		return false
	}
	term := os.Getenv("TERM")
	return interactive && isTerminalOutput(os.Stdout) && term != "" && term != "dumb" && os.Getenv("NO_COLOR") == ""
}
