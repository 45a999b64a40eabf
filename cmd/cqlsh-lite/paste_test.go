package main

import "testing"

// TestPasteFilter checks the filter between the terminal and liner: the
// paste markers go, tabs inside a paste become pastedTab (the paste may
// span reads), tabs typed outside stay tabs for completion.
func TestPasteFilter(t *testing.T) {
	var p pasteState
	for _, tc := range []struct{ in, want string }{
		{"ab\tc", "ab\tc"},
		{pasteStart + "x\ty\r", "x\uE009y\r"},
		{"\tz" + pasteEnd + "\t", "\uE009z\t"},
		{"\x1b[A" + pasteStart + pasteEnd + "\x1b[200", "\x1b[A\x1b[200"},
	} {
		if got := string(p.filter([]byte(tc.in))); got != tc.want {
			t.Errorf("filter(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := fromEditor(toEditor("a\tb")); got != "a\tb" {
		t.Errorf("a tab to the editor and back: got %q", got)
	}
}
