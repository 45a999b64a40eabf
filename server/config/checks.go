package config

import (
	"fmt"
)

// validateGuardrails checks the guardrail settings: none negative, no
// warn threshold above its fail threshold (when both are on).
func (c *Config) validateGuardrails() error {
	for _, g := range []struct {
		warn, fail         string
		warnValue, failVal int64
	}{
		{"batch_size_warn_threshold", "batch_size_fail_threshold", int64(c.BatchSizeWarnThreshold), int64(c.BatchSizeFailThreshold)},
		{"tombstone_warn_threshold", "tombstone_failure_threshold", int64(c.TombstoneWarnThreshold), int64(c.TombstoneFailureThreshold)},
		{"collection_size_warn_threshold", "collection_size_fail_threshold", int64(c.CollectionSizeWarnThreshold), int64(c.CollectionSizeFailThreshold)},
	} {
		switch {
		case g.warnValue < 0:
			return fmt.Errorf("config: %s: must not be negative (0 turns it off)", g.warn)
		case g.failVal < 0:
			return fmt.Errorf("config: %s: must not be negative (0 turns it off)", g.fail)
		case g.warnValue > 0 && g.failVal > 0 && g.warnValue > g.failVal:
			return fmt.Errorf("config: %s: %d is above %s (%d)", g.warn, g.warnValue, g.fail, g.failVal)
		}
	}
	if c.CompactionLargePartitionWarningThreshold < 0 {
		return fmt.Errorf("config: compaction_large_partition_warning_threshold: must not be negative (0 turns it off)")
	}
	return nil
}

// The failure policies (commitlog.failure_policy, storage.disk_failure_policy;
// server applies them).
const (
	PolicyStop   = "stop"
	PolicyDie    = "die"
	PolicyIgnore = "ignore"
)

// validateFailurePolicies checks commitlog.failure_policy and
// storage.disk_failure_policy.
func (c *Config) validateFailurePolicies() error {
	check := func(setting, flat, policy string, others map[string]string) error {
		switch policy {
		case PolicyStop, PolicyDie, PolicyIgnore:
			return nil
		}
		if why, ok := others[policy]; ok {
			return fmt.Errorf("config: %s (%s): %s is not supported: %s; supported: stop, die, ignore", setting, flat, policy, why)
		}
		return fmt.Errorf("config: %s (%s): %q is not a policy; supported: stop, die, ignore", setting, flat, policy)
	}
	if err := check("commitlog.failure_policy", "commit_failure_policy", c.CommitLog.FailurePolicy, map[string]string{
		"stop_commit": "a node whose commit log fails cannot take writes; stop stops it as a whole",
	}); err != nil {
		return err
	}
	return check("storage.disk_failure_policy", "disk_failure_policy", c.Storage.DiskFailurePolicy, map[string]string{
		"best_effort":   "wcdb keeps its data in one directory, there is no other disk to go on with",
		"stop_paranoid": "a corrupt SSTable is set aside (reads of it fail), not counted as a disk failure",
	})
}
