package chaos

import "time"

// enablePartitions is a placeholder until the Raft fault proxy lands.
func (c *cluster) enablePartitions() {}

func partitionNode(which string, hold time.Duration) fault { return pauseNode(which, hold) }
