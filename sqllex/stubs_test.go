package sqllex

import "testing"

func (s *server) testExecutableComments(t *testing.T) {}
func (s *server) testLexing(t *testing.T)             {}
func (s *server) testLexErrors(t *testing.T)          {}
func (s *server) testStringValues(t *testing.T)       {}
func (s *server) testQuoting(t *testing.T)            {}
func (s *server) testSplitStatements(t *testing.T)    {}
