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

  window.ProcessServerDesigner = {
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
