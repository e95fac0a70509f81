// Independent checks of the ProcessServer OData feed with Apache Olingo's odatajs (npm ts-odatajs)
// and the OASIS CSDL tools (npm odata-csdl). Usage: node check.js <service root> <api key> [page size]
// The key travels as the api_key query parameter, as Power Query's Web API credential sends it, so
// every @odata.nextLink must carry what the next request needs. Last line: "N passed, N failed".
'use strict';
const http = require('http');
const odatajs = require('ts-odatajs');
const { xml2json } = require('odata-csdl');

const [root, key, pageArg] = process.argv.slice(2);
const pageSize = Number(pageArg || 250);
const powerQueryAccept = 'application/json;odata.metadata=minimal;q=1.0,application/json;odata=minimalmetadata;q=0.9,application/atomsvc+xml;q=0.8,application/atom+xml;q=0.8,application/xml;q=0.7,text/plain;q=0.7';
let passed = 0, failed = 0;
const check = (ok, what) => { if (ok) { passed++; } else { failed++; console.log('FAIL ' + what); } };
const withKey = url => url + (url.includes('?') ? '&' : '?') + 'api_key=' + encodeURIComponent(key);

function raw(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', c => body += c).on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

function read(url, headers = {}, handler) {
  return new Promise((resolve, reject) => odatajs.oData.read(
    { requestUri: url, headers: Object.assign({ 'OData-MaxVersion': '4.0' }, headers) },
    (data, response) => resolve({ data, response }),
    err => reject(new Error((err && err.message) + ' ' + (err && err.response && err.response.body || ''))),
    handler));
}

const patterns = {
  'Edm.String': v => typeof v === 'string',
  'Edm.Int32': v => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647,
  'Edm.Int64': v => Number.isInteger(v),
  'Edm.Boolean': v => typeof v === 'boolean',
  'Edm.Double': v => typeof v === 'number',
  'Edm.DateTimeOffset': v => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v),
  'Edm.Date': v => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v),
};

(async () => {
  // Service document.
  const service = await raw(withKey(root), { Accept: powerQueryAccept });
  check(service.status === 200, 'service document answers 200');
  check(service.headers['odata-version'] === '4.0', 'one OData-Version: 4.0 header, got ' + service.headers['odata-version']);
  const serviceDoc = JSON.parse(service.body);
  check(/\$metadata$/.test(serviceDoc['@odata.context']), 'service document context is $metadata');
  const sets = serviceDoc.value.filter(v => v.kind === 'EntitySet').map(v => v.name);
  check(sets.length >= 8, 'service document lists the entity sets: ' + sets.join(','));

  // $metadata: XML under Power Query's Accept and under application/json; OASIS conversion reports nothing.
  const metadata = await raw(withKey(root + '$metadata'), { Accept: powerQueryAccept });
  check(metadata.status === 200 && /^application\/xml/.test(metadata.headers['content-type']), '$metadata is application/xml: ' + metadata.headers['content-type']);
  const jsonAccept = await raw(withKey(root + '$metadata'), { Accept: 'application/json' });
  check(/^application\/xml/.test(jsonAccept.headers['content-type']), '$metadata stays XML when JSON is asked for');
  const messages = [];
  let csdl = null;
  try { csdl = xml2json(metadata.body, { strict: true, messages }); } catch (e) { messages.push(String(e)); }
  check(csdl !== null && messages.length === 0, 'OASIS xml2json reports nothing: ' + JSON.stringify(messages));

  // Olingo's metadata parser, then the types of every set from it.
  const parsed = (await read(withKey(root + '$metadata'), {}, odatajs.oData.metadataHandler)).data;
  const schema = parsed.dataServices.schema[0];
  check(schema.namespace === 'ProcessServer.Reporting', 'Olingo parses the schema namespace');
  const container = schema.entityContainer;
  const typeOf = name => schema.entityType.find(t => schema.namespace + '.' + t.name === name);

  for (const set of container.entitySet) {
    const type = typeOf(set.entityType);
    const keyNode = Array.isArray(type.key) ? type.key[0] : type.key;
    const keys = [].concat(keyNode.propertyRef).map(r => r.name);
    const props = Object.fromEntries(type.property.map(p => [p.name, p]));
    let url = withKey(root + set.name + '?$count=true');
    let rows = 0, count = null, pages = 0;
    const seen = new Set();
    let badValue = null;
    while (url) {
      const { data } = await read(url, { Prefer: 'odata.maxpagesize=' + pageSize, Accept: powerQueryAccept });
      if (pages === 0) {
        count = data['@odata.count'];
        check(typeof data['@odata.context'] === 'string' && data['@odata.context'].endsWith('$metadata#' + set.name), set.name + ': context URL ' + data['@odata.context']);
      }
      pages++;
      for (const row of data.value) {
        rows++;
        const id = keys.map(k => JSON.stringify(row[k])).join(',');
        if (seen.has(id)) { badValue = badValue || ('duplicate key ' + id); }
        seen.add(id);
        for (const [name, p] of Object.entries(props)) {
          const v = row[name];
          if (v === null || v === undefined) {
            if (p.nullable === 'false') { badValue = badValue || `${name} is null but not nullable`; }
          } else if (!(patterns[p.type] || (() => false))(v)) {
            badValue = badValue || `${name}=${JSON.stringify(v)} is not ${p.type}`;
          }
        }
      }
      const next = data['@odata.nextLink'];
      if (next) {
        check(/^https?:\/\//.test(next), set.name + ': next link is absolute');
        check(next.includes('api_key='), set.name + ': next link carries the api_key');
      }
      url = next;
      if (pages > 10000) { break; }
    }
    check(rows === count, `${set.name}: read ${rows} rows over ${pages} page(s), @odata.count says ${count}`);
    check(seen.size === rows, `${set.name}: no duplicate keys`);
    check(badValue === null, `${set.name}: every value matches its declared type (${badValue})`);
    const bare = await raw(withKey(root + set.name + '/$count'));
    check(bare.status === 200 && bare.body === String(count) && /^text\/plain/.test(bare.headers['content-type']), `${set.name}/$count is the bare integer ${count}: ${bare.body}`);
    console.log(`${set.name}: ${rows} rows in ${pages} page(s)`);
  }

  // The preview Power Query asks for, a date filter with a local offset, and a bad filter.
  const preview = await read(withKey(root + 'Dossiers?$top=1000'), { Accept: powerQueryAccept });
  check(Array.isArray(preview.data.value), 'Dossiers?$top=1000 answers a feed');
  const offset = await raw(withKey(root + 'Dossiers?$filter=' + encodeURIComponent('ReceivedAt gt 2026-02-01T00:00:00+07:00') + '&$select=ReceiptCode,ReceivedAt&$orderby=ReceivedAt&$top=5'), { Accept: powerQueryAccept });
  const offsetRows = offset.status === 200 ? JSON.parse(offset.body).value : [];
  check(offset.status === 200 && offsetRows.length > 0 && offsetRows.every(r => r.ReceivedAt > '2026-01-31T17:00:00Z'), '+07:00 filter with $select/$orderby/$top');
  const bad = await raw(withKey(root + 'Dossiers?$filter=' + encodeURIComponent('Nope eq 1')));
  const badBody = (() => { try { return JSON.parse(bad.body); } catch { return {}; } })();
  check(bad.status === 400 && badBody.error && badBody.error.code && badBody.error.message, 'a bad $filter answers 400 with an OData error');
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
})().catch(e => { console.log('FAIL ' + e.stack); console.log(`${passed} passed, ${failed + 1} failed`); process.exit(1); });
