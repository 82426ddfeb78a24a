// Gyre chat example: plain browser JavaScript on top of centrifuge-js (window.Centrifuge,
// vendored into vendor/centrifuge.js by `npm ci`). Everything the page does goes through Gyre:
// connect (the bridge's Connect service checks authToken), RPC get:rooms, subscribe to chat:<room>
// and personal:#<user> (Subscribe service), publish (Publish service validates and rewrites),
// presence, join/leave pushes and history.
'use strict';

(function () {
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  const state = {
    config: null,       // from /config.json: websocket URL
    session: null,      // {user, token} from /login, kept in sessionStorage (per tab)
    centrifuge: null,
    room: null,         // current room id
    sub: null,          // current chat:<room> subscription
    personal: null,     // personal:#<user> subscription
    offsets: new Set(), // offsets of rendered publications in the current room (no duplicates)
    presenceTimer: null,
  };
  // For tests and the curious: window.chat.state.centrifuge is the live client.
  window.chat = { state };

  const SESSION_KEY = 'gyre-chat-session';
  const ROOM_KEY = 'gyre-chat-room';

  function setStatus(s, text) {
    const st = $('#status');
    st.dataset.state = s;
    st.textContent = text || s;
  }

  function toast(text, cls) {
    const t = el('div', 'toast ' + (cls || ''), text);
    $('#toasts').appendChild(t);
    setTimeout(() => t.remove(), 6000);
  }

  function showError(sel, err) {
    const msg = !err ? '' : (err.code ? `${err.code}: ${err.message}` : String(err.message || err));
    $(sel).textContent = msg;
  }

  async function loadConfig() {
    const resp = await fetch('config.json', { cache: 'no-store' });
    if (!resp.ok) throw new Error('config.json: HTTP ' + resp.status);
    const cfg = await resp.json();
    if (!cfg.websocket) {
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      cfg.websocket = `${proto}//${location.hostname}:${cfg.websocket_port}${cfg.websocket_path}`;
    }
    return cfg;
  }

  // ---- login -------------------------------------------------------------------------------

  function showLogin(errText) {
    $('#login').hidden = false;
    $('#chat').hidden = true;
    $('#logout-btn').hidden = true;
    $('#whoami').textContent = '';
    $('#login-error').textContent = errText || '';
    $('#login-name').focus();
  }

  async function login(name) {
    const resp = await fetch('login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    const body = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(body.error || 'login failed: HTTP ' + resp.status);
    return body; // {user, token}
  }

  function logout() {
    sessionStorage.removeItem(SESSION_KEY);
    sessionStorage.removeItem(ROOM_KEY);
    if (state.centrifuge) state.centrifuge.disconnect();
    state.centrifuge = null;
    state.sub = null;
    state.personal = null;
    state.room = null;
    setStatus('disconnected');
    showLogin();
  }

  // ---- connection --------------------------------------------------------------------------

  function connect() {
    const { user, token } = state.session;
    const c = new Centrifuge(state.config.websocket, {
      // The seed's convention: the token travels in the connect data.
      data: { authToken: token, name: user },
      name: 'gyre-chat',
    });
    state.centrifuge = c;
    c.on('connecting', (ctx) => setStatus('connecting', `connecting (${ctx.reason})`));
    c.on('connected', () => {
      setStatus('connected');
      if (!state.personal) subscribePersonal(c, user);
      loadRooms();
    });
    c.on('disconnected', (ctx) => {
      setStatus('disconnected', `disconnected: ${ctx.code} ${ctx.reason}`);
      if (ctx.code === 401 || ctx.code === 4401) {
        // The Auth interceptor refused the token: log in again.
        sessionStorage.removeItem(SESSION_KEY);
        state.centrifuge = null;
        showLogin('Session refused by the server, please log in again.');
      }
    });
    c.on('error', (ctx) => console.warn('centrifuge error', ctx));

    c.connect();
  }

  // personal:#<user>: only this user may subscribe (the Subscribe service's topic rule). Subscribed
  // after the first connect reply rather than batched with the connect command: when the connect
  // proxy refuses the token, the page then gets the 401 itself instead of a 3501 for the subscribe
  // that followed an unauthenticated connect.
  function subscribePersonal(c, user) {
    const personal = c.newSubscription(`personal:#${user}`);
    personal.on('publication', (ctx) => {
      const d = ctx.data || {};
      toast(`${d.from} mentioned you in #${d.room}: ${d.text}`, 'mention');
    });
    personal.on('error', (ctx) => console.warn('personal subscription error', ctx));
    personal.subscribe();
    state.personal = personal;
  }

  // ---- rooms (RPC get:rooms → the app's net/http router) -------------------------------------

  async function loadRooms() {
    const c = state.centrifuge;
    if (!c) return;
    try {
      const res = await c.rpc('get:rooms', {});
      // rpcroute answers {status, body} for verb:uri methods.
      const body = res.data && res.data.body;
      if (!res.data || res.data.status !== 200 || !body) throw new Error('get:rooms: ' + JSON.stringify(res.data));
      renderRooms(body.rooms || []);
      const saved = sessionStorage.getItem(ROOM_KEY);
      if (!state.room && saved && body.rooms.some((r) => r.id === saved)) joinRoom(saved);
    } catch (err) {
      toast('Could not load rooms: ' + (err.message || err), 'error');
    }
  }

  function renderRooms(rooms) {
    const ul = $('#rooms');
    ul.replaceChildren();
    for (const r of rooms) {
      const li = el('li');
      li.dataset.room = r.id;
      if (r.id === state.room) li.classList.add('active');
      const btn = el('button', 'room-btn');
      btn.type = 'button';
      btn.append(el('span', 'room-name', '# ' + r.title), el('span', 'room-online', r.online ? `${r.online} online` : ''));
      btn.title = r.topic || '';
      btn.addEventListener('click', () => joinRoom(r.id));
      li.appendChild(btn);
      ul.appendChild(li);
    }
  }

  // ---- a room: subscription, history, presence, join/leave -----------------------------------

  function joinRoom(room) {
    const c = state.centrifuge;
    if (!c || room === state.room) return;
    if (state.sub) {
      state.sub.unsubscribe();
      c.removeSubscription(state.sub);
      state.sub = null;
    }
    state.room = room;
    sessionStorage.setItem(ROOM_KEY, room);
    state.offsets = new Set();
    $('#messages').replaceChildren();
    $('#presence').replaceChildren();
    $('#room-title').textContent = '# ' + room;
    $('#room-topic').textContent = '';
    $('#room-state').textContent = 'joining…';
    $('#room-state').dataset.state = 'subscribing';
    for (const li of document.querySelectorAll('#rooms li')) li.classList.toggle('active', li.dataset.room === room);
    setComposer(false);

    // The chat namespace forces recovery (history_size/history_ttl + force_recovery): after a network
    // drop the SDK resubscribes from its last offset and gets the missed messages.
    const sub = c.newSubscription(`chat:${room}`);
    state.sub = sub;
    sub.on('subscribing', (ctx) => {
      if (state.sub !== sub) return;
      $('#room-state').textContent = `joining… (${ctx.reason})`;
      $('#room-state').dataset.state = 'subscribing';
      setComposer(false);
    });
    sub.on('subscribed', async (ctx) => {
      if (state.sub !== sub) return;
      $('#room-state').textContent = ctx.wasRecovering
        ? (ctx.recovered ? 'reconnected, missed messages recovered' : 'reconnected, history reloaded')
        : 'joined';
      $('#room-state').dataset.state = 'subscribed';
      // The Subscribe service answers the room's topic in the subscribe reply data.
      if (ctx.data && ctx.data.topic) $('#room-topic').textContent = ctx.data.topic;
      setComposer(true);
      if (!ctx.wasRecovering || !ctx.recovered) await loadHistory(sub);
      refreshPresence();
    });
    sub.on('unsubscribed', (ctx) => {
      if (state.sub !== sub) return;
      $('#room-state').textContent = `left (${ctx.code} ${ctx.reason})`;
      $('#room-state').dataset.state = 'unsubscribed';
      setComposer(false);
    });
    sub.on('error', (ctx) => {
      if (state.sub !== sub) return;
      $('#room-state').textContent = `error: ${ctx.error.code} ${ctx.error.message}`;
    });
    sub.on('publication', (ctx) => {
      if (state.sub === sub) addMessage(ctx.data, ctx.offset);
    });
    sub.on('join', (ctx) => {
      if (state.sub !== sub) return;
      addSystem(`${nameOf(ctx.info)} joined`);
      refreshPresence();
    });
    sub.on('leave', (ctx) => {
      if (state.sub !== sub) return;
      addSystem(`${nameOf(ctx.info)} left`);
      refreshPresence();
    });
    sub.subscribe();
  }

  function nameOf(info) {
    if (!info) return '?';
    const ci = info.connInfo || info.conn_info;
    return (ci && ci.name) || info.user || '?';
  }

  async function loadHistory(sub) {
    try {
      // The newest 50, newest first; rendered oldest first.
      const res = await sub.history({ limit: 50, reverse: true });
      if (state.sub !== sub) return;
      // History is older than anything that arrived live meanwhile: it goes on top, oldest first.
      // A publication both in history and already shown live is skipped by its offset.
      const items = res.publications.slice().reverse().map((p) => messageItem(p.data, p.offset)).filter(Boolean);
      $('#messages').prepend(...items);
      $('#messages').scrollTop = $('#messages').scrollHeight;
    } catch (err) {
      toast('Could not load history: ' + (err.message || err), 'error');
    }
  }

  function refreshPresence() {
    // Join/leave bursts: one presence call for a burst.
    clearTimeout(state.presenceTimer);
    state.presenceTimer = setTimeout(async () => {
      const sub = state.sub;
      if (!sub) return;
      try {
        const res = await sub.presence();
        if (state.sub !== sub) return;
        const users = new Map();
        for (const info of Object.values(res.clients)) {
          const u = users.get(info.user) || { name: nameOf(info), conns: 0 };
          u.conns++;
          users.set(info.user, u);
        }
        const ul = $('#presence');
        ul.replaceChildren();
        for (const [user, u] of [...users.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
          const li = el('li', user === state.session.user ? 'me' : '', u.name);
          li.dataset.user = user;
          if (u.conns > 1) li.appendChild(el('span', 'conns', ` ×${u.conns}`));
          ul.appendChild(li);
        }
      } catch (err) {
        console.warn('presence', err);
      }
      loadRooms(); // online counts
    }, 50);
  }

  // ---- messages ------------------------------------------------------------------------------

  function fmtTime(t) {
    const d = new Date(t);
    return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  // messageItem renders a publication, or returns null for a duplicate or foreign data.
  function messageItem(data, offset) {
    if (!data || typeof data.text !== 'string') return null;
    if (offset) {
      if (state.offsets.has(offset)) return null;
      state.offsets.add(offset);
    }
    const li = el('li', 'msg' + (data.user === state.session.user ? ' mine' : ''));
    if (offset) li.dataset.offset = String(offset);
    li.dataset.user = data.user || '';
    const meta = el('div', 'meta');
    const time = el('time', 'time', fmtTime(data.time));
    if (data.time) time.dateTime = data.time;
    meta.append(el('span', 'author', data.user || '?'), time);
    li.append(meta, el('div', 'text', data.text));
    return li;
  }

  function addMessage(data, offset) {
    const li = messageItem(data, offset);
    if (!li) return;
    const list = $('#messages');
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }

  function addSystem(text) {
    const list = $('#messages');
    list.appendChild(el('li', 'system', text));
    list.scrollTop = list.scrollHeight;
  }

  function setComposer(on) {
    $('#msg-input').disabled = !on;
    $('#send-btn').disabled = !on;
    if (on) $('#msg-input').focus();
  }

  async function send() {
    const input = $('#msg-input');
    const text = input.value;
    if (!state.sub || text.trim() === '') return;
    showError('#send-error', null);
    try {
      // The Publish service validates (1–500 characters after trimming) and rewrites the data to
      // {text, user, time}; everyone, including this page, gets the rewritten publication.
      await state.sub.publish({ text });
      input.value = '';
    } catch (err) {
      showError('#send-error', err);
    }
  }

  // ---- start ---------------------------------------------------------------------------------

  function startChat() {
    $('#login').hidden = true;
    $('#chat').hidden = false;
    $('#logout-btn').hidden = false;
    $('#whoami').textContent = 'Logged in as ' + state.session.user;
    connect();
  }

  async function main() {
    $('#login-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      $('#login-error').textContent = '';
      try {
        state.session = await login($('#login-name').value.trim());
        sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
        startChat();
      } catch (err) {
        $('#login-error').textContent = err.message || String(err);
      }
    });
    $('#send-form').addEventListener('submit', (e) => {
      e.preventDefault();
      send();
    });
    $('#logout-btn').addEventListener('click', logout);
    $('#rooms-refresh').addEventListener('click', loadRooms);

    try {
      state.config = await loadConfig();
    } catch (err) {
      setStatus('error', 'cannot load config.json: ' + err.message);
      return;
    }
    if (typeof Centrifuge === 'undefined') {
      setStatus('error', 'vendor/centrifuge.js missing: run `npm ci` in examples/chat');
      return;
    }
    const saved = sessionStorage.getItem(SESSION_KEY);
    if (saved) {
      try {
        state.session = JSON.parse(saved);
      } catch (_) {
        sessionStorage.removeItem(SESSION_KEY);
      }
    }
    if (state.session) startChat();
    else showLogin();
  }

  main();
})();
