package main

import (
	"io"

	"wcdb/bench/cli"
)

// wcdb bench ycsb, timeline and report: bench/cli runs them.

func benchYCSB(args []string, stdout, stderr io.Writer) int { return cli.YCSB(args, stdout, stderr) }

func benchTimeline(args []string, stdout, stderr io.Writer) int {
	return cli.Timeline(args, stdout, stderr)
}

func benchReport(args []string, stdout, stderr io.Writer) int {
	return cli.Report(args, stdout, stderr)
}

func benchLWT(args []string, stdout, stderr io.Writer) int { return cli.LWT(args, stdout, stderr) }
