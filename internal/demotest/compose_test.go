package demotest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// TestComposeConfig validates docker-compose.yml with the Compose CLI
// (`docker compose config -q`, or docker-compose v1), which needs no Docker
// engine. If it fails, `docker compose up` rejects the file. It skips when
// neither CLI is installed: CI machines have no Docker (.ci/run does not
// install it), so there TestComposeLayout below is the check that runs.
func TestComposeConfig(t *testing.T) {
	root := repoRoot(t)
	var cli []string
	switch {
	case exec.Command("docker", "compose", "version").Run() == nil:
		cli = []string{"docker", "compose"}
	case exec.Command("docker-compose", "version").Run() == nil:
		cli = []string{"docker-compose"}
	default:
		t.Skip("neither `docker compose` (the compose plugin) nor docker-compose is installed; " +
			"TestComposeLayout still checks the file's structure")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli[0], append(cli[1:], "-f", "docker-compose.yml", "config", "-q")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s config -q: %v\n%s", strings.Join(cli, " "), err, out)
	}
}

// composeFile is the part of docker-compose.yml the layout test reads.
type composeFile struct {
	Services map[string]struct {
		Command     []string       `yaml:"command"`
		Ports       []string       `yaml:"ports"`
		Healthcheck map[string]any `yaml:"healthcheck"`
		Build       any            `yaml:"build"`
		Image       string         `yaml:"image"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
	} `yaml:"services"`
}

// nodeConfig is the part of a shardline config file the layout test reads.
type nodeConfig struct {
	NodeID string `yaml:"node_id"`
	Proxy  struct {
		Listen string `yaml:"listen"`
	} `yaml:"proxy"`
	Admin struct {
		Listen string `yaml:"listen"`
		Token  string `yaml:"token"`
	} `yaml:"admin"`
	Raft struct {
		Addr      string   `yaml:"addr"`
		Bootstrap bool     `yaml:"bootstrap"`
		Join      []string `yaml:"join"`
	} `yaml:"raft"`
	ShardMap struct {
		Schemas map[string]any `yaml:"schemas"`
	} `yaml:"shardmap"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestComposeLayout checks docker-compose.yml and scripts/demo/docker/ without
// Docker: the demo topology (two MySQL 8.0 shards, three nodes built here, the
// host ports of the local demo, a health check on each), each node started
// with its own config whose addresses name its service (an address of
// 127.0.0.1 or 0.0.0.0 would be advertised to the other containers and break
// joining and forwarding), and the same logical schema as the local demo's
// n1.yaml; n2 and n3 wait only for n1 to start, not to be healthy (after a
// restart n1 serves only once a majority runs). If it fails, the compose demo
// breaks or has drifted apart from the local demo.
func TestComposeLayout(t *testing.T) {
	root := repoRoot(t)
	var cf composeFile
	readYAML(t, filepath.Join(root, "docker-compose.yml"), &cf)
	for shard, port := range map[string]string{"t3306": "13306", "t3307": "13307"} {
		s, ok := cf.Services[shard]
		if !ok || !strings.HasPrefix(s.Image, "mysql:8.0") {
			t.Errorf("service %s: missing or not a mysql:8.0 image (%q)", shard, s.Image)
		}
		if len(s.Ports) != 1 || s.Ports[0] != "127.0.0.1:"+port+":3306" {
			t.Errorf("service %s: ports %v; want 127.0.0.1:%s:3306", shard, s.Ports, port)
		}
	}
	var local nodeConfig
	readYAML(t, filepath.Join(root, "scripts/demo/n1.yaml"), &local)
	for _, n := range demoNodes {
		s, ok := cf.Services[n.id]
		if !ok {
			t.Errorf("service %s missing", n.id)
			continue
		}
		if s.Build == nil || s.Healthcheck == nil {
			t.Errorf("service %s: want build: . and a health check", n.id)
		}
		want := []string{"127.0.0.1:" + strconv.Itoa(n.mysql) + ":6033", "127.0.0.1:" + strconv.Itoa(n.admin) + ":9090"}
		if !reflect.DeepEqual(s.Ports, want) {
			t.Errorf("service %s: ports %v; want %v", n.id, s.Ports, want)
		}
		if len(s.Command) != 2 || s.Command[1] != "/etc/shardline/"+n.id+".yaml" {
			t.Errorf("service %s: command %v; want --config /etc/shardline/%s.yaml", n.id, s.Command, n.id)
			continue
		}
		var nc nodeConfig
		readYAML(t, filepath.Join(root, "scripts/demo/docker", n.id+".yaml"), &nc)
		if nc.NodeID != n.id || nc.Proxy.Listen != n.id+":6033" || nc.Admin.Listen != n.id+":9090" ||
			nc.Raft.Addr != n.id+":7001" || nc.Admin.Token != adminToken {
			t.Errorf("scripts/demo/docker/%[1]s.yaml: %+[2]v; want node %[1]s listening on %[1]s:6033, %[1]s:9090, raft %[1]s:7001, token %[3]s",
				n.id, nc, adminToken)
		}
		if (n.id == "n1") != nc.Raft.Bootstrap || (n.id != "n1" && len(nc.Raft.Join) == 0) {
			t.Errorf("scripts/demo/docker/%s.yaml: n1 bootstraps, the others join (bootstrap %v, join %v)", n.id, nc.Raft.Bootstrap, nc.Raft.Join)
		}
		if c := s.DependsOn["n1"].Condition; n.id != "n1" && c != "service_started" {
			t.Errorf("service %s waits for n1 %q; want service_started (n1 restarting with Raft state is healthy only once a majority runs)", n.id, c)
		}
		if n.id == "n1" && !reflect.DeepEqual(nc.ShardMap.Schemas, local.ShardMap.Schemas) {
			t.Errorf("docker n1 schemas %v differ from the local demo's %v", nc.ShardMap.Schemas, local.ShardMap.Schemas)
		}
	}
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil || !strings.Contains(string(df), "COPY scripts/demo/docker/ /etc/shardline/") {
		t.Errorf("Dockerfile must bake scripts/demo/docker/ into /etc/shardline/ (%v)", err)
	}
}
