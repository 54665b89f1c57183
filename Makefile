# Builds and installs rtlink: `make` builds the binary and its man pages, `make install` puts
# the binary, the man pages and the bash/zsh/fish completions under PREFIX (DESTDIR stages
# them for packaging), `make uninstall` removes them. PROFILE=dev installs a debug build.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
CARGO ?= cargo
PROFILE ?= release
# .cargo/config.toml names the target (rtlink is linked statically), so outputs go under it.
OUT := target/x86_64-unknown-linux-gnu/$(if $(filter dev test,$(PROFILE)),debug,$(PROFILE))
RTLINK := $(OUT)/rtlink
BASH_COMPLETION := $(DATADIR)/bash-completion/completions/rtlink
ZSH_COMPLETION := $(DATADIR)/zsh/site-functions/_rtlink
FISH_COMPLETION := $(DATADIR)/fish/vendor_completions.d/rtlink.fish

.PHONY: all install uninstall

all:
	$(CARGO) build --profile $(PROFILE)
	$(RTLINK) man $(OUT)/man

install: all
	install -D -m 755 $(RTLINK) $(DESTDIR)$(BINDIR)/rtlink
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(OUT)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(dir $(BASH_COMPLETION)) $(DESTDIR)$(dir $(ZSH_COMPLETION)) \
		$(DESTDIR)$(dir $(FISH_COMPLETION))
	$(RTLINK) completions bash >$(DESTDIR)$(BASH_COMPLETION)
	$(RTLINK) completions zsh >$(DESTDIR)$(ZSH_COMPLETION)
	$(RTLINK) completions fish >$(DESTDIR)$(FISH_COMPLETION)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rtlink $(DESTDIR)$(MANDIR)/man1/rtlink.1 \
		$(DESTDIR)$(MANDIR)/man1/rtlink-*.1 $(DESTDIR)$(BASH_COMPLETION) \
		$(DESTDIR)$(ZSH_COMPLETION) $(DESTDIR)$(FISH_COMPLETION)
