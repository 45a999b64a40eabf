package config

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// LoggingConfig configures the node's log (wcdb's own settings: Cassandra
// configures logback apart from cassandra.yaml). log_format and log_level,
// flat, are read as these.
type LoggingConfig struct {
	// Format is text (slog's key=value lines, the default) or json (one
	// object per line, for log collectors).
	Format string `yaml:"format"`
	// Level is the least severe level written: debug, info (the default),
	// warn or error. wcdb admin setlogginglevel changes it while the node
	// runs.
	Level string `yaml:"level"`
}

func (l *LoggingConfig) validate() error {
	switch l.Format {
	case "", "text", "json":
	default:
		return fmt.Errorf("config: logging.format: %q is not text or json", l.Format)
	}
	if _, err := l.level(); err != nil {
		return err
	}
	return nil
}

func (l *LoggingConfig) level() (slog.Level, error) {
	var lv slog.Level
	if l.Level == "" {
		return slog.LevelInfo, nil
	}
	if err := lv.UnmarshalText([]byte(strings.ToUpper(l.Level))); err != nil {
		return 0, fmt.Errorf("config: logging.level: %q is not debug, info, warn or error", l.Level)
	}
	return lv, nil
}

// NewLogger makes the node's logger writing to w, in the configured
// format, from the configured level, which the returned LevelVar changes.
func (c *Config) NewLogger(w io.Writer) (*slog.Logger, *slog.LevelVar, error) {
	if err := c.Logging.validate(); err != nil {
		return nil, nil, err
	}
	lv := new(slog.LevelVar)
	l, _ := c.Logging.level()
	lv.Set(l)
	opts := &slog.HandlerOptions{Level: lv}
	if c.Logging.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), lv, nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), lv, nil
}
