// ProcessServer host pages for the Elsa Studio custom elements.
// The API key is kept in this browser tab's sessionStorage and handed to the elements as their
// api-key attribute (they send it as "Authorization: ApiKey <key>"); the backend URL is this
// server's own /elsa/api, found relative to the page's <base href>.
(function () {
  'use strict';

  var STORAGE_KEY = 'processserver.apiKey';
  var base = document.baseURI;
  var api = new URL('../elsa/api', base).href;

  function key() {
    return sessionStorage.getItem(STORAGE_KEY);
  }

  function page(path) {
    return new URL(path, base).href;
  }

  // 200: an administrator key; 401: unknown key; 403: a key of another role.
  function check(candidate) {
    return fetch(api + '/features/installed', { headers: { Authorization: 'ApiKey ' + candidate } })
      .then(function (response) { return response.status; });
  }

  function signOut() {
    sessionStorage.removeItem(STORAGE_KEY);
    location.assign(page('index.html'));
  }

  function goToSignIn(reason) {
    var target = page('index.html') + '?return=' + encodeURIComponent(location.pathname + location.search) + (reason ? '&reason=' + reason : '');
    location.replace(target);
  }

  // The id in ?name=value, or in the full Studio's own URLs the elements push
  // (workflows/definitions/{id}/edit, workflows/instances/{id}/view).
  function param(name, pathPattern) {
    var value = new URLSearchParams(location.search).get(name);
    if (value) {
      return value;
    }

    var match = pathPattern ? location.pathname.match(pathPattern) : null;
    return match ? decodeURIComponent(match[1]) : null;
  }

  function header(active, title) {
    var bar = document.createElement('header');
    bar.className = 'ps-header';
    var links = [['procedures.html', 'Procedures', 'procedures'], ['dossiers.html', 'Dossiers', 'dossiers']]
      .map(function (l) {
        return '<a href="' + l[0] + '"' + (l[2] === active ? ' class="active"' : '') + '>' + l[1] + '</a>';
      }).join('');
    bar.innerHTML = '<a class="ps-brand" href="index.html">ProcessServer designer</a><nav>' + links + '</nav>' +
      '<span class="ps-title"></span><button type="button" class="ps-signout">Sign out</button>';
    bar.querySelector('.ps-title').textContent = title || '';
    bar.querySelector('.ps-signout').addEventListener('click', signOut);
    document.body.insertBefore(bar, document.body.firstChild);
  }

  function message(text) {
    var box = document.getElementById('studio');
    box.innerHTML = '';
    var p = document.createElement('p');
    p.className = 'ps-message';
    p.textContent = text;
    box.appendChild(p);
  }

  // Creates one Studio element once Blazor has defined it, with the key, the backend URL, the
  // given attributes and (for event callbacks such as editWorkflowDefinition) properties.
  function mount(tag, attributes, properties, active, title) {
    var apiKey = key();
    if (!apiKey) {
      goToSignIn();
      return Promise.resolve(null);
    }

    header(active, title);
    return check(apiKey).then(function (status) {
      if (status === 401) {
        sessionStorage.removeItem(STORAGE_KEY);
        goToSignIn('invalid');
        return null;
      }

      if (status === 403) {
        message('This API key is not an Administrator key; only administrators edit procedures. Sign out and use an Administrator key.');
        return null;
      }

      return customElements.whenDefined(tag).then(function () {
        var element = document.createElement(tag);
        element.setAttribute('remote-endpoint', api);
        element.setAttribute('api-key', apiKey);
        Object.keys(attributes || {}).forEach(function (name) { element.setAttribute(name, attributes[name]); });
        Object.keys(properties || {}).forEach(function (name) { element[name] = properties[name]; });
        var box = document.getElementById('studio');
        box.innerHTML = '';
        box.appendChild(element);
        return element;
      });
    });
  }

  function initSignIn() {
    var form = document.getElementById('sign-in');
    var query = new URLSearchParams(location.search);
    var target = query.get('return');
    var status = document.getElementById('sign-in-status');
    if (query.get('reason') === 'invalid') {
      status.textContent = 'The API key is not valid. Check it with your administrator.';
    }

    if (key() && !target) {
      document.getElementById('signed-in').hidden = false;
      form.hidden = true;
    }

    document.getElementById('sign-out').addEventListener('click', signOut);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var candidate = document.getElementById('api-key').value.trim();
      if (!candidate) {
        status.textContent = 'Enter your API key.';
        return;
      }

      status.textContent = 'Checking…';
      check(candidate).then(function (code) {
        if (code === 200) {
          sessionStorage.setItem(STORAGE_KEY, candidate);
          location.assign(target && target.charAt(0) === '/' && target.charAt(1) !== '/' ? target : page('procedures.html'));
        } else if (code === 403) {
          status.textContent = 'This key does not belong to an Administrator; only administrators edit procedures.';
        } else {
          status.textContent = 'The API key is not valid. Check it with your administrator.';
        }
      }, function () {
        status.textContent = 'The server did not answer; try again.';
      });
    });
  }

  // Reads JSON from the Studio API with the signed-in key (used for page titles).
  function getJson(path) {
    return fetch(api + path, { headers: { Authorization: 'ApiKey ' + key() } })
      .then(function (response) { return response.ok ? response.json() : null; });
  }

  function setTitle(text) {
    var title = document.querySelector('.ps-title');
    if (title) {
      title.textContent = text;
    }

    document.title = text + ' – ProcessServer designer';
  }

  // ---- Server messages ---------------------------------------------------------------------
  // The Studio shows a server's refusal only for a few calls (a 400 on save or retract); for every
  // other refused call it shows nothing or its generic error bar. Every /elsa/api answer passes
  // through here: a refusal's problem-details message is shown in a readable toast, a stale save
  // (409) gets a banner asking to reload, and a save's warnings are shown once.

  function toastBox() {
    var box = document.getElementById('ps-toasts');
    if (!box) {
      box = document.createElement('div');
      box.id = 'ps-toasts';
      box.setAttribute('role', 'status');
      box.setAttribute('aria-live', 'polite');
      document.body.appendChild(box);
    }

    return box;
  }

  function toast(kind, title, text) {
    var item = document.createElement('div');
    item.className = 'ps-toast ps-toast-' + kind;
    var heading = document.createElement('strong');
    heading.textContent = title;
    var body = document.createElement('div');
    body.className = 'ps-toast-text';
    body.textContent = text;
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'ps-toast-close';
    close.setAttribute('aria-label', 'Close');
    close.textContent = '×';
    close.addEventListener('click', function () { item.remove(); });
    item.appendChild(close);
    item.appendChild(heading);
    item.appendChild(body);
    toastBox().appendChild(item);
    if (kind !== 'error') {
      setTimeout(function () { item.remove(); }, 12000);
    }

    return item;
  }

  function staleBanner(text) {
    var banner = document.getElementById('ps-stale');
    if (!banner) {
      banner = document.createElement('div');
      banner.id = 'ps-stale';
      banner.setAttribute('role', 'alert');
      var message = document.createElement('span');
      message.className = 'ps-stale-text';
      var reload = document.createElement('button');
      reload.type = 'button';
      reload.textContent = 'Reload';
      reload.addEventListener('click', function () { location.reload(); });
      banner.appendChild(message);
      banner.appendChild(reload);
      document.body.insertBefore(banner, document.getElementById('studio'));
    }

    banner.querySelector('.ps-stale-text').textContent = text;
  }

  // The message of a problem-details body: its errors (a list, or a field → messages object), else detail, else title.
  function problemText(body, status) {
    if (!body || typeof body !== 'object') {
      return typeof body === 'string' && body.trim() ? body.trim() : 'The server answered ' + status + '.';
    }

    var errors = body.errors;
    var messages = [];
    if (Array.isArray(errors)) {
      messages = errors.map(function (e) { return typeof e === 'string' ? e : (e && e.message) || JSON.stringify(e); });
    } else if (errors && typeof errors === 'object') {
      Object.keys(errors).forEach(function (key) { messages = messages.concat(errors[key]); });
    }

    if (messages.length) {
      return messages.join('\n');
    }

    return body.detail || body.title || 'The server answered ' + status + '.';
  }

  function actionOf(method, path) {
    if (/\/workflow-definitions\/[^/]+\/execute$/.test(path)) { return 'Run'; }
    if (/\/tests\/activities$/.test(path)) { return 'Test'; }
    if (method === 'DELETE') { return 'Delete'; }
    if (/\/publish/.test(path)) { return 'Publish'; }
    if (/\/retract/.test(path)) { return 'Unpublish'; }
    if (/\/import/.test(path)) { return 'Import'; }
    if (/\/export/.test(path)) { return 'Export'; }
    if (/\/cancel/.test(path)) { return 'Cancel'; }
    if (method === 'POST' && /\/workflow-definitions$/.test(path)) { return 'Save'; }
    return method + ' ' + path.replace(/^.*\/elsa\/api/, '');
  }

  // A refused publish still saves the draft (the edits are kept), but the Studio keeps the revision
  // it loaded, so its next save would be refused as someone else's change. The server names the
  // revision it wrote; this tab's later saves that still carry the old one are sent with it (the
  // draft holds this tab's own content, so nothing of anyone else's is overwritten).
  var REVISION = 'processServerRevision';
  var forwardedRevisions = {};

  function saveBody(init) {
    var body = init && init.body;
    if (typeof body === 'string') {
      return body;
    }

    if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
      return new TextDecoder().decode(body);
    }

    return null;
  }

  // Returns [init to send, the revision the Studio holds].
  function forwardRevision(init) {
    var text = saveBody(init);
    if (text === null) {
      return [init, null];
    }

    try {
      var body = JSON.parse(text);
      var custom = body && body.model && body.model.customProperties;
      var held = custom && custom[REVISION];
      if (held && forwardedRevisions[held]) {
        custom[REVISION] = forwardedRevisions[held];
        return [Object.assign({}, init, { body: JSON.stringify(body) }), held];
      }

      return [init, held || null];
    } catch (e) {
      return [init, null];
    }
  }

  // The editor's Import reads the chosen file into the Studio's own model and posts that, which
  // drops every property the Studio does not know. The file as chosen is what is imported instead
  // (with the procedure code the Studio gives it), so unknown properties travel along as they do
  // through the list's Import and the API.
  var chosenFiles = null;
  document.addEventListener('change', function (event) {
    var input = event.target;
    if (!input || input.type !== 'file' || !input.files) {
      return;
    }

    chosenFiles = Promise.all(Array.prototype.map.call(input.files, function (file) {
      return file.text().then(function (text) {
        try { return JSON.parse(text); } catch (e) { return null; }
      }, function () { return null; });
    }));
  }, true);

  function importChosenFile(init) {
    var text = saveBody(init);
    if (!chosenFiles || text === null) {
      return Promise.resolve(init);
    }

    return chosenFiles.then(function (files) {
      var posted;
      try { posted = JSON.parse(text); } catch (e) { return init; }
      var candidates = files.filter(function (f) { return f && typeof f === 'object' && !Array.isArray(f); });
      var file = candidates.filter(function (f) { return f.name === posted.name; })[0] || (candidates.length === 1 ? candidates[0] : null);
      if (!file) {
        return init;
      }

      var body = Object.assign({}, file);
      if (posted.definitionId) {
        body.definitionId = posted.definitionId;
      }

      return Object.assign({}, init, { body: JSON.stringify(body) });
    });
  }

  var shownWarnings = '';
  var originalFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var url = typeof input === 'string' ? input : (input && input.url) || '';
    var method = ((init && init.method) || (input && input.method) || 'GET').toUpperCase();
    var heldRevision = null;
    if (method === 'POST' && /\/elsa\/api\/workflow-definitions$/.test(url.split('?')[0]) && init) {
      var forwarded = forwardRevision(init);
      init = forwarded[0];
      heldRevision = forwarded[1];
    }

    var ready = method === 'POST' && /\/elsa\/api\/workflow-definitions\/import$/.test(url.split('?')[0]) && init
      ? importChosenFile(init)
      : Promise.resolve(init);
    return ready.then(function (sent) { return originalFetch(input, sent); }).then(function (response) {
      var path = url.split('?')[0];
      if (path.indexOf('/elsa/api/') < 0) {
        return response;
      }

      var action = actionOf(method, path);
      if (response.ok) {
        if (action === 'Save') {
          response.clone().json().then(function (saved) {
            var warnings = (saved.warnings || []).map(function (w) { return w.message; });
            var key = warnings.join('\n');
            if (warnings.length && key !== shownWarnings) {
              toast('warning', 'Saved, with warnings', key);
            }

            shownWarnings = key;
          }, function () { });
        }

        return response;
      }

      return response.clone().text().then(function (text) {
        var body = text;
        try { body = JSON.parse(text); } catch (e) { /* plain text */ }
        var message = problemText(body, response.status);
        if (response.status === 409 && action === 'Save') {
          staleBanner(message);
          // Handed to the Studio as a refusal it shows and survives (a 409 would end in its error bar).
          return new Response(text, { status: 400, statusText: 'Bad Request', headers: response.headers });
        }

        if (action === 'Save' && response.status === 400) {
          if (heldRevision && body && body.savedToken) {
            forwardedRevisions[heldRevision] = body.savedToken;
          }

          return response;
        }

        if (response.status === 401) {
          message = 'Your key is no longer accepted; sign in again.';
        }

        toast('error', action + ' was refused', message);

        // The Studio's list actions (cancel or delete a dossier, delete a procedure) and the Test tab
        // treat any refusal as a crash and raise the error bar over a page that still works. The toast
        // has said why; the Studio gets an empty answer (it reloads its list and shows it unchanged;
        // the Test tab shows no result).
        if ((action === 'Cancel' || action === 'Delete') && response.status !== 401) {
          return new Response(null, { status: 204, statusText: 'Refused (see the message)' });
        }

        if (action === 'Test' && response.status !== 401) {
          return new Response('{}', { status: 200, statusText: 'Refused (see the message)', headers: { 'Content-Type': 'application/json' } });
        }

        return response;
      });
    });
  };

  // ---- Following the address ----------------------------------------------------------------
  // The elements change the host page's address ("Save As" and "Duplicate" push
  // workflows/definitions/{id}/edit, "Run" pushes workflows/instances/{id}/view), and the browser's
  // back and forward buttons change it too; the page then shows what the address names.

  var mounted = null;

  function watchAddress(onChange) {
    ['pushState', 'replaceState'].forEach(function (name) {
      var original = history[name];
      history[name] = function () {
        var result = original.apply(this, arguments);
        setTimeout(onChange, 0);
        return result;
      };
    });
    window.addEventListener('popstate', onChange);
  }

  // Mounts an element that follows the address: read(location) gives the id it should show, and
  // canonical(id) the page address to show it under.
  function follow(tag, attribute, read, canonical, properties, active, title) {
    var value = read();
    return mount(tag, (function () { var a = {}; a[attribute] = value; return a; })(), properties, active, title).then(function (element) {
      if (!element) {
        return element;
      }

      mounted = { tag: tag, attribute: attribute, value: value };
      watchAddress(function () {
        var wanted = read();
        if (!wanted) {
          return;
        }

        var address = canonical(wanted);
        if (mounted.value === wanted && location.pathname + location.search !== new URL(address, location.href).pathname + new URL(address, location.href).search) {
          history.replaceState(history.state, '', address);
        }

        // A second Studio element in one page shares MudBlazor's popover provider with the first and
        // crashes at the next popover (seen after Save As: editing the copy raised the error bar), so
        // another procedure or dossier is opened by loading the page afresh at its address.
        if (mounted.value !== wanted) {
          location.replace(address);
        }
      });
      return element;
    });
  }

  window.ProcessServerDesigner = {
    follow: follow,
    toast: toast,
    getJson: getJson,
    setTitle: setTitle,
    api: api,
    key: key,
    mount: mount,
    page: page,
    param: param,
    signOut: signOut,
    initSignIn: initSignIn
  };
})();
