package keyring

// Reading a whole resolution from the Secret Service in one batch.
//
// go-keyring reads one value in seven Secret Service calls, each waiting
// for the previous answer (Get of the collection list, Unlock, SearchItems,
// OpenSession, Unlock of the item, GetSecret, Close): reading the twenty
// values of a chain one by one costs 140 round trips of about 0.3 ms each
// with gnome-keyring. The batch reader below keeps go-keyring's item naming
// (attributes "service" = "kage-<scope>", "username" = name) and its
// collection, and reads every ref in four sequential steps whatever their
// number:
//
//  1. connect: authenticate, Hello (over a Unix socket in one write with
//     step 2, see busdial_linux.go);
//  2. Properties.Get(Service.Collections), to pick the collection as
//     go-keyring's GetLoginCollection does — answered before anything else
//     is sent, because gnome-keyring 42 can abort on a new client's calls
//     that overtake its registration (batchRead says more);
//  3. sent together without waiting between them (D-Bus keeps the order of
//     one connection's messages): Service.OpenSession("plain"),
//     Service.Unlock([collection]) and one Collection.SearchItems per ref;
//  4. Service.GetSecrets(paths, session) for every item found: one call
//     for up to 16 items, several sent together beyond, so that no answer
//     can outgrow the bus's message size limit; then Session.Close without
//     waiting for its answer.
//
// At most 64 calls wait for an answer at any time (see maxInFlight).
//
// Why one search per ref and not one per scope: the Secret Service has no
// call that returns many items' attributes, so a per-scope search must be
// followed by one Attributes read per item in the scope to learn which path
// holds which name — more calls, not fewer (10 refs out of 100 stored
// items: 8 ms against 2.4 ms on gnome-keyring 42), and it grows with what is
// stored rather than with what is asked. Searching for both attributes
// returns exactly the item of each ref.
//
// Only when something is off are there more steps: an Unlock that needs a
// prompt (the collection is locked), several items for one ref, or items
// GetSecrets left out because they are locked.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus/v5"
)

// Secret Service names, from the specification and go-keyring's
// secret_service package.
const (
	ssName          = "org.freedesktop.secrets"
	ssPath          = dbus.ObjectPath("/org/freedesktop/secrets")
	ssService       = "org.freedesktop.Secret.Service"
	ssCollection    = "org.freedesktop.Secret.Collection"
	ssItem          = "org.freedesktop.Secret.Item"
	ssSession       = "org.freedesktop.Secret.Session"
	ssPrompt        = "org.freedesktop.Secret.Prompt"
	dbusProperties  = "org.freedesktop.DBus.Properties"
	ssLogin         = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	ssDefaultAlias  = dbus.ObjectPath("/org/freedesktop/secrets/aliases/default")
	ssSessionColl   = dbus.ObjectPath("/org/freedesktop/secrets/collection/session")
	ssNoPrompt      = dbus.ObjectPath("/")
	ssErrorIsLocked = "org.freedesktop.Secret.Error.IsLocked"
)

// ssSecret is the Secret Service's Secret struct, (oayays).
type ssSecret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// errLocked is what the batch returns when an unlock prompt was dismissed
// or could not be shown. It carries the Secret Service's own error name so
// that translate gives the same "collection is locked" error as for
// go-keyring.
var errLocked = dbus.Error{Name: ssErrorIsLocked, Body: []any{"the collection is locked and the unlock prompt was dismissed"}}

// dialFunc connects to the bus that holds the Secret Service.
type dialFunc func(ctx context.Context) (*dbus.Conn, error)

// prepared is a connection opened ahead of time by Prepare, already
// registered with the Secret Service (see register), and the collection
// register found.
type prepared struct {
	conn *dbus.Conn
	coll dbus.ObjectPath
	// replies is the connection's reply hook, pointed at the watchdog of
	// the batch that takes the connection.
	replies *replyHook
	err     error
}

// Prepare starts connecting to the session bus in the background, and
// registers the connection with the Secret Service, so that both overlap
// what the caller does before it reads (config, scope detection, the
// index): together they cost about as much as the batch itself for a few
// secrets. GetMany uses the connection; calling Prepare without reading
// leaves one idle connection until the process exits.
func (k *Keychain) Prepare() {
	if k.precheck == nil || k.early != nil {
		return
	}
	ch := make(chan prepared, 1)
	k.early = ch
	go func() {
		if err := k.precheck(); err != nil {
			ch <- prepared{err: err}
			return
		}
		// No bound here: the batch that takes the connection waits for it
		// within its own.
		hook := new(replyHook)
		ctx := withReplies(context.Background(), hook)
		conn, err := connectSession(ctx)
		if err != nil {
			ch <- prepared{err: err}
			return
		}
		coll, err := register(ctx, conn)
		if err != nil {
			conn.Close()
			ch <- prepared{err: err}
			return
		}
		ch <- prepared{conn: conn, coll: coll, replies: hook}
	}()
	// The new goroutine would wait in this P's run queue until the caller
	// blocks or another P steals it, a third of a millisecond measured;
	// the connection is the longer path, so it goes first.
	runtime.Gosched()
}

// Settle waits for the connection Prepare started, if no GetMany took it,
// and closes it. kage calls it before it exits or becomes another program:
// gnome-keyring 42 registers a client in a callback after its first call,
// and a client that leaves while it is being registered has made it fail
// the 'client' assertion for the next one (see register). The wait is
// bounded by settleWait: a command with nothing to read must not hang on
// a daemon that does not answer.
func (k *Keychain) Settle() {
	early := k.early
	if early == nil {
		return
	}
	k.early = nil
	t := time.NewTimer(min(k.timeout, settleWait))
	defer t.Stop()
	select {
	case p := <-early:
		if p.conn != nil {
			p.conn.Close()
		}
	case <-t.C:
	}
}

// settleWait bounds Settle: registering takes a few milliseconds on a
// daemon that is answering.
const settleWait = 500 * time.Millisecond

// getManyBatch reads refs in one Secret Service batch. ok is false when the
// batch does not apply: precheck is cleared only for go-keyring's in-memory
// mock, which the batch, talking D-Bus itself, would bypass.
func (k *Keychain) getManyBatch(ctx context.Context, refs []Ref) (out map[Ref][]byte, ok bool, err error) {
	if k.precheck == nil {
		return nil, false, nil
	}
	early := k.early
	k.early = nil
	if early == nil {
		out, err = k.readBatch(ctx, k.dial, refs)
		return out, true, err
	}
	refs = uniqueRefs(refs)
	if len(refs) == 0 {
		return map[Ref][]byte{}, true, nil
	}
	var coll dbus.ObjectPath
	out, err = withSession(ctx, k.timeout, "get", func(ctx context.Context) (*dbus.Conn, error) {
		select {
		case p := <-early:
			if p.err != nil {
				return nil, p.err
			}
			p.replies.set(repliesOf(ctx))
			coll = p.coll
			return p.conn, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}, func(ctx context.Context, conn *dbus.Conn) (map[Ref][]byte, error) {
		return batchRead(ctx, conn, coll, refs)
	})
	return out, true, err
}

// dial is the dialFunc of every Secret Service call kage makes itself.
func (k *Keychain) dial(ctx context.Context) (*dbus.Conn, error) {
	if err := k.precheck(); err != nil {
		return nil, err
	}
	return connectSession(ctx)
}

// connectSession opens a private connection to the session bus. It never
// autolaunches a bus (checkBus explains why) and is closed after the batch,
// which also ends the Secret Service session on the daemon's side. A
// private connection rather than godbus's shared one, so that closing it
// on a timeout cannot break go-keyring calls made later by the same
// process. Every reply on it feeds the watchdog of ctx (see withSession).
//
// When the bus is a Unix socket the connection is a busPipe's (see
// busdial_linux.go): the handshake, Hello and register's first call go out
// in one write, and register takes that call's answer.
func connectSession(ctx context.Context) (*dbus.Conn, error) {
	opts := []dbus.ConnOption{dbus.WithContext(ctx), dbus.WithIncomingInterceptor(replyCounter(ctx))}
	if path, ok := busSocket(os.Getenv); ok {
		conn, err := connectPipe(ctx, path, opts...)
		if err == nil || ctx.Err() != nil {
			return conn, err
		}
		// godbus's own handshake, and its error if it fails too.
	}
	conn, err := dbus.SessionBusPrivateNoAutoStartup(opts...)
	if err != nil {
		return nil, err
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// connectPipe dials path with a busPipe and sends the handshake, Hello and
// register's Get(Collections) in one write, and waits for Hello's answer.
// Nothing else may go out before that Get is answered (see register): the
// caller's next step is register, which waits for it.
func connectPipe(ctx context.Context, path string, opts ...dbus.ConnOption) (*dbus.Conn, error) {
	conn, p, err := dialPipe(ctx, path, opts...)
	if err != nil {
		return nil, err
	}
	hello := conn.BusObject().GoWithContext(ctx, "org.freedesktop.DBus.Hello", 0, nil)
	coll := getCollections(ctx, conn)
	p.mu.Lock()
	p.collections = coll
	p.mu.Unlock()
	if err := p.uncork(); err != nil {
		conn.Close()
		return nil, err
	}
	var name string
	if err := (<-hello.Done).Store(&name); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// getCollections sends Properties.Get(Service.Collections).
func getCollections(ctx context.Context, conn *dbus.Conn) *dbus.Call {
	return conn.Object(ssName, ssPath).GoWithContext(ctx, dbusProperties+".Get", 0, nil, ssService, "Collections")
}

// register makes conn known to the Secret Service before anything that
// needs it goes out, and returns the collection go-keyring uses (see
// loginCollection).
//
// gnome-keyring 42 learns of a client from its first message and registers
// it only once the bus has told it the client's process ID, in a callback;
// a call that needs the client and arrives first — OpenSession most often,
// which go-keyring's Set sends first — fails an assertion ("plain_negotiate:
// assertion 'session' failed", "gkd_secret_service_get_pkcs11_session:
// assertion 'client' failed") and, about one run in ten of a few hundred
// writes, aborts the daemon (exit 133). A fresh daemon then starts with the
// login keyring locked. Reading the service's Collections needs no client,
// and its answer comes after the registration: so it is sent first, alone,
// and answered before any other call on the connection.
//
// A Secret Service that is still starting (the README's headless set-up
// line returns before gnome-keyring owns its name) is waited for, up to
// serviceStartWait; a service with no keyring at all is errNoKeyring.
func register(ctx context.Context, conn *dbus.Conn) (dbus.ObjectPath, error) {
	svc := conn.Object(ssName, ssPath)
	// connectPipe sent the first Get with its handshake.
	first := takeCollections(conn)
	get := func() (dbus.ObjectPath, bool, error) {
		c := first
		if first = nil; c == nil {
			c = getCollections(ctx, conn)
		}
		return loginCollection(<-c.Done)
	}
	coll, none, err := get()
	if isNoService(err) && waitForService(ctx, conn, serviceStartWait) {
		coll, none, err = get()
	}
	if err != nil || !none {
		return coll, err
	}
	// Only gnome-keyring's in-memory "session" collection: a keyring that
	// was never created, unless the default alias names that collection.
	var alias dbus.ObjectPath
	if err := svc.CallWithContext(ctx, ssService+".ReadAlias", 0, "default").Store(&alias); err != nil {
		return "", err
	}
	if alias == ssNoPrompt {
		return "", errNoKeyring
	}
	return ssDefaultAlias, nil
}

// serviceStartWait bounds how long register waits for a Secret Service
// that nobody owns yet. gnome-keyring-daemon --unlock returns a few
// milliseconds before its daemon owns the name, under 0.1 s on a loaded
// 2-core machine; where none is starting, every command pays this once
// before its error.
const serviceStartWait = 500 * time.Millisecond

// isNoService reports whether err says that nobody owns the Secret
// Service's name and the bus cannot start one.
func isNoService(err error) bool {
	var de dbus.Error
	return errors.As(err, &de) && (de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner")
}

// waitForService waits up to d for the Secret Service's name to get an
// owner and reports whether it did.
func waitForService(ctx context.Context, conn *dbus.Conn, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var has bool
		if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, ssName).Store(&has); err != nil {
			return false
		}
		if has {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// readBatch dials and reads refs, bounded as withSession says.
func (k *Keychain) readBatch(ctx context.Context, dial dialFunc, refs []Ref) (map[Ref][]byte, error) {
	refs = uniqueRefs(refs)
	if len(refs) == 0 {
		// Nothing to read: a directory without secrets must not need a bus.
		return map[Ref][]byte{}, nil
	}
	return withSession(ctx, k.timeout, "get", dial, func(ctx context.Context, conn *dbus.Conn) (map[Ref][]byte, error) {
		return batchRead(ctx, conn, "", refs)
	})
}

// sessionCeiling bounds a whole session however steadily the daemon
// answers: twenty commands reading 1,000 secrets each at once take about 9 s
// on a 2-core machine, a daemon that answers one call a second would
// otherwise hold a command for as long as its calls last.
const sessionCeiling = time.Minute

// withSession dials and runs fn on the connection and translates errors as
// go-keyring's path does; op names the call in a timeout.
//
// The bound is on silence, not on the whole: the session fails when
// timeout passes with a call outstanding and no answer to any call (a
// prompt nobody answers, a hung daemon), but a daemon that keeps answering
// gets the time it needs, up to sessionCeiling. Twenty agents starting at
// once make a busy daemon, not a dead one, and a bound on the whole batch
// failed every one of them. Replies are counted as they arrive on the
// connection (see connectSession), the first being Hello's; the dial must
// get that far within timeout too.
//
// The connection lives in a context that ends with the call, so godbus
// calls still waiting are cancelled rather than abandoned.
func withSession[T any](ctx context.Context, timeout time.Duration, op string, dial dialFunc, fn func(context.Context, *dbus.Conn) (T, error)) (T, error) {
	bctx, cancel := context.WithTimeout(ctx, sessionCeiling)
	defer cancel()
	dog := startWatchdog(timeout, cancel)
	defer dog.stop()
	bctx = withReplies(bctx, dog)
	type result struct {
		out T
		err error
	}
	done := make(chan result, 1)
	go func() {
		conn, err := dial(bctx)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer conn.Close()
		out, err := fn(bctx, conn)
		done <- result{out, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-bctx.Done():
		r.err = bctx.Err()
	}
	var zero T
	switch {
	case r.err == nil:
		return r.out, nil
	case ctx.Err() != nil:
		return zero, ctx.Err()
	case dog.fired.Load():
		return zero, timeoutError(op, timeout)
	case bctx.Err() != nil:
		return zero, &UnavailableError{
			Reason: fmt.Sprintf("the keychain answered too slowly: the %s was not done after %s", op, sessionCeiling),
			Fix:    "the Secret Service is overloaded or stuck: try again, and if it keeps happening restart it",
			Err:    ErrTimeout,
		}
	}
	var ue *UnavailableError
	if errors.As(r.err, &ue) || errors.Is(r.err, ErrNotFound) {
		return zero, r.err
	}
	return zero, translate(r.err, "", "")
}

// A watchdog cancels a session when its timeout passes without a reply.
type watchdog struct {
	d     time.Duration
	t     *time.Timer
	fired atomic.Bool
}

func startWatchdog(d time.Duration, cancel func()) *watchdog {
	w := &watchdog{d: d}
	w.t = time.AfterFunc(d, func() {
		w.fired.Store(true)
		cancel()
	})
	return w
}

// replied restarts the count.
func (w *watchdog) replied() {
	if !w.fired.Load() {
		w.t.Reset(w.d)
	}
}

func (w *watchdog) stop() { w.t.Stop() }

// A replyHook forwards a connection's replies to a watchdog chosen after
// the connection was made, as Prepare's is.
type replyHook struct{ to atomic.Pointer[watchdog] }

func (h *replyHook) replied() {
	if w := h.to.Load(); w != nil {
		w.replied()
	}
}

func (h *replyHook) set(w replier) {
	if d, ok := w.(*watchdog); ok {
		h.to.Store(d)
	}
}

// A replier is told of each reply on a connection.
type replier interface{ replied() }

type repliesKey struct{}

func withReplies(ctx context.Context, r replier) context.Context {
	return context.WithValue(ctx, repliesKey{}, r)
}

// repliesOf is the replier of ctx, nil if none.
func repliesOf(ctx context.Context) replier {
	r, _ := ctx.Value(repliesKey{}).(replier)
	return r
}

// replyCounter is the godbus interceptor that tells ctx's replier of every
// reply and error reply the connection receives. Signals do not count: a
// busy bus sends them whether or not the Secret Service answers.
func replyCounter(ctx context.Context) dbus.Interceptor {
	r := repliesOf(ctx)
	return func(msg *dbus.Message) {
		if r != nil && (msg.Type == dbus.TypeMethodReply || msg.Type == dbus.TypeError) {
			r.replied()
		}
	}
}

// uniqueRefs drops repeated refs, keeping the first of each.
func uniqueRefs(refs []Ref) []Ref {
	seen := make(map[Ref]bool, len(refs))
	out := make([]Ref, 0, len(refs))
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// Limits that keep one batch within what every bus accepts. dbus-daemon's
// built-in defaults allow a connection 128 calls waiting for an answer and
// messages of 32 MiB; the session.conf of desktops raises both, but private
// buses (the tests', containers') and some distributions keep them, and a
// reply over the size limit makes the daemon disconnect gnome-keyring, which
// then exits: a read must never risk that.
const (
	// maxInFlight is how many calls a batch has waiting at most.
	maxInFlight = 64
	// secretsPerCall is how many items one GetSecrets reads, so that its
	// answer stays under 16 MiB, half the limit, with values of up to
	// MaxInput bytes (what kage stores).
	secretsPerCall = (16 << 20) / MaxInput
)

// batchRead reads refs over conn (see the top of this file for the calls).
// Refs with no item are absent from the result. Errors are godbus's and the
// Secret Service's, untranslated. refs must hold no duplicates.
//
// coll is the collection register found, or "" when the connection is not
// registered yet.
func batchRead(ctx context.Context, conn *dbus.Conn, coll dbus.ObjectPath, refs []Ref) (map[Ref][]byte, error) {
	svc := conn.Object(ssName, ssPath)

	// Steps 2 and 3. The connection is registered first (see register);
	// then everything else goes out at once and the answers are
	// collected: every call costs the daemon's round trip (about 0.3 ms
	// with gnome-keyring, however little it does).
	if coll == "" {
		var err error
		if coll, err = register(ctx, conn); err != nil {
			return nil, err
		}
	}
	// In one write where the connection can (see cork).
	uncork := cork(conn)
	open := svc.GoWithContext(ctx, ssService+".OpenSession", 0, nil, "plain", dbus.MakeVariant(""))
	collObj := conn.Object(ssName, coll)
	unlock := startUnlock(ctx, svc, collObj)
	search := startSearches(ctx, collObj, refs)
	if err := uncork(); err != nil {
		return nil, err
	}

	var session dbus.ObjectPath
	var ignored dbus.Variant
	if err := (<-open.Done).Store(&ignored, &session); err != nil {
		return nil, err
	}
	// Close the session however the batch ends. Nobody waits for the
	// answer: the connection closes right after, which ends the session
	// on the daemon's side anyway.
	defer conn.Object(ssName, session).GoWithContext(ctx, ssSession+".Close", dbus.FlagNoReplyExpected, nil)

	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := (<-unlock.Done).Store(&unlocked, &prompt); err != nil {
		return nil, err
	}
	found, err := search.wait()
	if prompt != ssNoPrompt {
		// The collection is locked. Like go-keyring, ask the daemon to show
		// its unlock prompt (a password dialog on a desktop), within the
		// batch's time bound.
		if err := runPrompt(ctx, conn, prompt); err != nil {
			return nil, err
		}
		// A Secret Service may hide the items of a locked collection from
		// a search, or refuse it: search again now that it is open.
		found, err = startSearches(ctx, collObj, refs).wait()
	} else if len(unlocked) == 0 {
		// No prompt and nothing unlocked: go-keyring fails here too.
		return nil, errLocked
	}
	if err != nil {
		return nil, err
	}

	pathRef := make(map[dbus.ObjectPath]Ref, len(refs))
	var dups []int
	for i, paths := range found {
		switch len(paths) {
		case 0:
		case 1:
			pathRef[paths[0]] = refs[i]
		default:
			dups = append(dups, i)
		}
	}
	if len(dups) > 0 {
		if err := pickNewest(ctx, conn, refs, found, dups, pathRef); err != nil {
			return nil, err
		}
	}
	out := make(map[Ref][]byte, len(pathRef))
	if len(pathRef) == 0 {
		return out, nil
	}
	paths := make([]dbus.ObjectPath, 0, len(pathRef))
	for p := range pathRef {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	// Step 4.
	missing, err := getSecrets(ctx, conn, paths, session, pathRef, out)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		// GetSecrets silently leaves out locked items. Unlock them (one
		// call, maybe one prompt) and read those once more; an item still
		// left out was deleted meanwhile and counts as not stored.
		if err := unlockItems(ctx, svc, conn, missing); err != nil {
			return nil, err
		}
		if _, err := getSecrets(ctx, conn, missing, session, pathRef, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loginCollection picks, from the answer to Get(Service.Collections), the
// collection go-keyring writes to and searches: the "login" collection
// when the service lists one (gnome-keyring), else the "default" alias
// (KeePassXC, KWallet). Searching the same collection finds exactly what
// go-keyring finds, and nothing from other collections. none is true when
// the service lists no collection but gnome-keyring's in-memory "session"
// one: no keyring has been created yet.
func loginCollection(call *dbus.Call) (coll dbus.ObjectPath, none bool, err error) {
	var v dbus.Variant
	if err := call.Store(&v); err != nil {
		return "", false, err
	}
	var colls []dbus.ObjectPath
	if err := v.Store(&colls); err != nil {
		return "", false, err
	}
	if slices.Contains(colls, ssLogin) {
		return ssLogin, false, nil
	}
	none = !slices.ContainsFunc(colls, func(c dbus.ObjectPath) bool { return c != ssSessionColl })
	return ssDefaultAlias, none, nil
}

// startUnlock sends, without waiting for the answer, the Unlock of coll
// that go-keyring sends before every search; it answers at once, without
// a prompt, when the collection is open.
func startUnlock(ctx context.Context, svc, coll dbus.BusObject) *dbus.Call {
	return svc.GoWithContext(ctx, ssService+".Unlock", 0, nil, []dbus.ObjectPath{coll.Path()})
}

// pipe sends n calls, the first maxInFlight at once and each next one as
// an answer comes in, so that many calls cost about one round trip without
// going over the bus's limit on calls waiting for an answer.
type pipe struct {
	send  func(i int) *dbus.Call
	calls []*dbus.Call
	sent  int
}

func startPipe(n int, send func(i int) *dbus.Call) *pipe {
	p := &pipe{send: send, calls: make([]*dbus.Call, n)}
	for p.sent < n && p.sent < maxInFlight {
		p.calls[p.sent] = send(p.sent)
		p.sent++
	}
	return p
}

// wait calls recv with each answer, in order, and returns the first error
// of a call or of recv. After an error it sends nothing more but still
// waits for what was sent.
func (p *pipe) wait(recv func(i int, c *dbus.Call) error) error {
	var first error
	for i := 0; i < p.sent; i++ {
		c := <-p.calls[i].Done
		if err := recv(i, c); err != nil && first == nil {
			first = err
		}
		if first == nil && p.sent < len(p.calls) {
			p.calls[p.sent] = p.send(p.sent)
			p.sent++
		}
	}
	return first
}

// searches are the SearchItems calls of startSearches.
type searches struct {
	p     *pipe
	found [][]dbus.ObjectPath
}

// startSearches sends one SearchItems per ref, with the attributes
// go-keyring gives its items.
func startSearches(ctx context.Context, coll dbus.BusObject, refs []Ref) *searches {
	return &searches{
		p: startPipe(len(refs), func(i int) *dbus.Call {
			attrs := map[string]string{"service": Service(refs[i].Scope), "username": refs[i].Name}
			return coll.GoWithContext(ctx, ssCollection+".SearchItems", 0, nil, attrs)
		}),
		found: make([][]dbus.ObjectPath, len(refs)),
	}
}

// wait returns the items found for each ref, in the order of the refs.
func (s *searches) wait() ([][]dbus.ObjectPath, error) {
	err := s.p.wait(func(i int, c *dbus.Call) error { return c.Store(&s.found[i]) })
	return s.found, err
}

// pickNewest chooses, for each ref in dups, one of its several items: the
// most recently modified, then the most recently created, then the one
// with the greatest path (gnome-keyring numbers items in creation order),
// so that every read of the same keychain gives the same value. go-keyring
// takes whichever the search lists first, an order gnome-keyring does not
// define. go-keyring writes with replace=true and never makes duplicates;
// other tools (secret-tool store with the same attributes into another
// label, for one) can.
func pickNewest(ctx context.Context, conn *dbus.Conn, refs []Ref, found [][]dbus.ObjectPath, dups []int, pathRef map[dbus.ObjectPath]Ref) error {
	type item struct {
		path              dbus.ObjectPath
		modified, created uint64
	}
	var items []item
	var owner []int // owner[j] is the index in refs of items[j]
	for _, i := range dups {
		for _, p := range found[i] {
			items = append(items, item{path: p})
			owner = append(owner, i)
		}
	}
	err := startPipe(len(items), func(j int) *dbus.Call {
		return conn.Object(ssName, items[j].path).GoWithContext(ctx, dbusProperties+".GetAll", 0, nil, ssItem)
	}).wait(func(j int, c *dbus.Call) error {
		var props map[string]dbus.Variant
		if err := c.Store(&props); err != nil {
			return err
		}
		_ = props["Modified"].Store(&items[j].modified)
		_ = props["Created"].Store(&items[j].created)
		return nil
	})
	if err != nil {
		return err
	}
	newest := func(a, b item) int {
		return cmp.Or(cmp.Compare(a.modified, b.modified), cmp.Compare(a.created, b.created),
			cmp.Compare(len(a.path), len(b.path)), cmp.Compare(a.path, b.path))
	}
	best := map[int]item{}
	for j, it := range items {
		if b, ok := best[owner[j]]; !ok || newest(it, b) > 0 {
			best[owner[j]] = it
		}
	}
	for i, it := range best {
		pathRef[it.path] = refs[i]
	}
	return nil
}

// getSecrets reads paths into out, secretsPerCall per GetSecrets call, the
// calls sent together, and returns the paths the service left out.
func getSecrets(ctx context.Context, conn *dbus.Conn, paths []dbus.ObjectPath, session dbus.ObjectPath, pathRef map[dbus.ObjectPath]Ref, out map[Ref][]byte) ([]dbus.ObjectPath, error) {
	chunks := slices.Collect(slices.Chunk(paths, secretsPerCall))
	var missing []dbus.ObjectPath
	svc := conn.Object(ssName, ssPath)
	uncork := cork(conn)
	calls := startPipe(len(chunks), func(i int) *dbus.Call {
		return svc.GoWithContext(ctx, ssService+".GetSecrets", 0, nil, chunks[i], session)
	})
	if err := uncork(); err != nil {
		return nil, err
	}
	err := calls.wait(func(i int, c *dbus.Call) error {
		var secrets map[dbus.ObjectPath]ssSecret
		if err := c.Store(&secrets); err != nil {
			return err
		}
		for _, p := range chunks[i] {
			s, ok := secrets[p]
			if !ok {
				missing = append(missing, p)
				continue
			}
			// The "plain" session sends the value as is: bytes exactly as
			// stored, whatever they are.
			out[pathRef[p]] = s.Value
		}
		return nil
	})
	return missing, err
}

// unlockItems unlocks items with one Unlock call and, if the service asks
// for one, its prompt.
func unlockItems(ctx context.Context, svc dbus.BusObject, conn *dbus.Conn, items []dbus.ObjectPath) error {
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := svc.CallWithContext(ctx, ssService+".Unlock", 0, items).Store(&unlocked, &prompt); err != nil {
		return err
	}
	if prompt == ssNoPrompt {
		return nil
	}
	return runPrompt(ctx, conn, prompt)
}

// runPrompt shows a Secret Service prompt and waits for its Completed
// signal, as go-keyring's handlePrompt does, but only as long as ctx
// allows. A dismissed prompt, or one the daemon cannot show (no display, as
// on the tests' private bus), is errLocked.
func runPrompt(ctx context.Context, conn *dbus.Conn, prompt dbus.ObjectPath) error {
	match := []dbus.MatchOption{dbus.WithMatchObjectPath(prompt), dbus.WithMatchInterface(ssPrompt)}
	if err := conn.AddMatchSignalContext(ctx, match...); err != nil {
		return err
	}
	signals := make(chan *dbus.Signal, 4)
	conn.Signal(signals)
	defer conn.RemoveSignal(signals)
	if err := conn.Object(ssName, prompt).CallWithContext(ctx, ssPrompt+".Prompt", 0, "").Err; err != nil {
		return err
	}
	for {
		select {
		case s, ok := <-signals:
			if !ok {
				return dbus.ErrClosed
			}
			if s.Path != prompt || s.Name != ssPrompt+".Completed" {
				continue
			}
			if len(s.Body) > 0 {
				if dismissed, _ := s.Body[0].(bool); !dismissed {
					return nil
				}
			}
			return errLocked
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
