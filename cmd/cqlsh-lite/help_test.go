package main

import (
	"strings"
	"testing"
)

// TestHelpTopics checks that every alias names a topic, that no topic is
// both a shell command's and a CQL statement's, and that the summaries fit
// an 80-column terminal.
func TestHelpTopics(t *testing.T) {
	for alias, topic := range helpAliases {
		if _, ok := helpDoc(topic); !ok {
			t.Errorf("alias %s: topic %s has no help", alias, topic)
		}
	}
	for topic, doc := range cqlTopics {
		if _, ok := helpTopics[topic]; ok {
			t.Errorf("topic %s is both a shell command's and a CQL statement's", topic)
		}
		for _, line := range strings.Split(doc, "\n") {
			if n := len([]rune(line)); n > 80 {
				t.Errorf("topic %s: a line of %d columns, want at most 80: %q", topic, n, line)
			}
		}
	}
}
