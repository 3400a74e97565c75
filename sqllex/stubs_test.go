package sqllex

import "testing"

func (s *server) testLexErrors(t *testing.T)       {}
func (s *server) testStringValues(t *testing.T)    {}
func (s *server) testQuoting(t *testing.T)         {}
func (s *server) testSplitStatements(t *testing.T) {}
