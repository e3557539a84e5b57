# kage — build, test and release tasks. `make help` lists them.

GO          ?= go
BIN         ?= bin/kage
PREFIX      ?= /usr/local
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
CROSS       := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

export CGO_ENABLED = 0

# How make test's skip lines say to install a missing program.
INSTALL     := $(if $(filter Darwin,$(shell uname -s)),brew install,sudo apt-get install)

.PHONY: help build build-all install test lint bench cross clean

help: ## show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

TAGS        ?=

build: ## build a static bin/kage and bin/kage-hook (TAGS=aws,azure adds the AWS / Azure backends)
	$(GO) build -trimpath -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kage
	$(GO) build -trimpath -ldflags '-s -w' -o $(dir $(BIN))kage-hook ./cmd/kage-hook

build-all: ## build bin/kage with every optional backend (aws, azure)
	$(MAKE) build TAGS=aws,azure

install: build ## install kage and kage-hook (the prompt hook's fast path) into $(PREFIX)/bin
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/kage
	install -m 0755 $(dir $(BIN))kage-hook $(DESTDIR)$(PREFIX)/bin/kage-hook

# Fuzz budgets are counts, not durations: go1.26's fuzz coordinator can
# fail a run with "context deadline exceeded" when a duration ends while a
# worker is mid-input (golang/go#75804, fixed in go1.27). Targets that run
# a real shell per input manage 100-200 inputs a second, the others tens
# of thousands.
FUZZ_SHELL  ?= 500x
FUZZ_PURE   ?= 100000x

test: ## run every test; keychain tests use a private gnome-keyring
	@if ! command -v gnome-keyring-daemon >/dev/null || ! command -v dbus-daemon >/dev/null || ! command -v dbus-launch >/dev/null; then \
	  echo "make test: gnome-keyring-daemon, dbus-daemon or dbus-launch not found: the keychain tests will be SKIPPED"; \
	  echo "make test: install them with: sudo apt-get install gnome-keyring dbus dbus-x11 libsecret-tools"; \
	fi
	@for p in bash zsh dash fish elvish tmux direnv; do command -v $$p >/dev/null || \
	  echo "make test: $$p not found: the tests that need it will be SKIPPED (install it with: $(INSTALL) $$p)"; done
	@command -v python3 >/dev/null || \
	  echo "make test: python3 not found: the README's Python spawner test will be SKIPPED (install it with: $(INSTALL) python3)"
	@command -v nu >/dev/null || \
	  echo "make test: nu not found: the tests that need it will be SKIPPED (install it with: npm install -g nushell)"
	@command -v pwsh >/dev/null || \
	  echo "make test: pwsh not found: the PowerShell tests will be SKIPPED (install PowerShell: https://aka.ms/powershell)"
	$(GO) vet ./...
	$(GO) vet -tags aws,azure ./keyring/ ./cmd/kage/
	$(GO) test -count=1 -timeout 30m ./...
	$(GO) test -count=1 -tags aws,azure -run 'AWS|Azure|Conformance' ./keyring/
	@for f in $$($(GO) test -list '^Fuzz' ./shellenv | grep '^Fuzz'); do \
	  case $$f in FuzzParseDotenv|FuzzJSON|FuzzDotenv) n=$(FUZZ_PURE);; *) n=$(FUZZ_SHELL);; esac; \
	  echo "fuzz $$f for $$n inputs"; \
	  $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $$n ./shellenv || exit 1; \
	done

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

bench: ## run the benchmarks (kage env and the hook, side by side with their baselines)
	$(GO) test -run '^$$' -bench . -benchtime 30x ./...

cross: ## build for linux, darwin and windows on amd64 and arm64, into bin/OS-ARCH/
	@for p in $(CROSS); do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
	  echo "build $$os/$$arch"; \
	  GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/$$os-$$arch/kage$$ext ./cmd/kage || exit 1; \
	  [ $$os = windows ] || GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '-s -w' -o bin/$$os-$$arch/kage-hook ./cmd/kage-hook || exit 1; \
	done

clean: ## remove built binaries
	rm -rf bin
