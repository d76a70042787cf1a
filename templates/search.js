// The search page: queries the index that digest/search.py writes under search/, in the
// reader's browser. Words are folded as the index folds them (no accents, lower case,
// runs of letters and digits); every word must start a word of the item (a plural its
// singular); results come newest first. Only the files a query needs are fetched, each once.
(function () {
  "use strict";
  var PAGE = 20; // results shown at a time
  var WINDOW = 32; // words of text shown around the first match

  var form = document.getElementById("search");
  if (!form || !window.fetch || !String.prototype.normalize) return;
  var input = document.getElementById("search-query");
  var topic = document.getElementById("search-topic");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var root = form.dataset.root;
  var base = form.dataset.index.replace(/index\.json$/, "");
  var files = {};
  var index = null;
  var current = { hits: [], shown: 0, tokens: [] };
  var sequence = 0;
  var timer = 0;

  function load(path) {
    if (!files[path]) {
      files[path] = fetch(base + path).then(function (response) {
        if (!response.ok) throw new Error(path + ": HTTP " + response.status);
        return response.json();
      });
      files[path].catch(function () { delete files[path]; });
    }
    return files[path];
  }

  function words(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().match(/[\p{L}\p{N}]+/gu) || [];
  }

  function shardName(prefix) {
    if (/^[a-z0-9]+$/.test(prefix)) return prefix;
    return "u" + Array.from(prefix).map(function (c) { return c.codePointAt(0).toString(16); }).join("-");
  }

  function numbers(gaps) { // gaps from the previous number -> the numbers
    var out = new Array(gaps.length), n = 0;
    for (var i = 0; i < gaps.length; i++) { n += gaps[i]; out[i] = n; }
    return out;
  }

  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }

  // A query word of one letter must be a whole word; a longer one may start a word.
  function fits(word, token) { return token.length === 1 ? word === token : word.startsWith(token); }

  // The items of one segment that have every token (as a word's start) and the topic.
  async function segmentHits(segment, tokens, slug) {
    var meta = await load(segment.folder + "meta.json");
    var sets = [];
    if (slug) sets.push(new Set(has(meta.topics, slug) ? numbers(meta.topics[slug]) : []));
    var prefixes = tokens.map(function (token) { return token.slice(0, meta.width); });
    if (prefixes.some(function (p) { return meta.prefixes.indexOf(p) < 0; })) return [];
    var shards = await Promise.all(prefixes.map(function (p) {
      return load(segment.folder + shardName(p) + ".json");
    }));
    tokens.forEach(function (token, i) {
      var found = new Set();
      Object.keys(shards[i]).forEach(function (word) {
        if (fits(word, token)) {
          numbers(shards[i][word]).forEach(function (n) { found.add(n); });
        }
      });
      sets.push(found);
    });
    sets.sort(function (a, b) { return a.size - b.size; });
    var hits = [];
    sets[0].forEach(function (n) {
      if (sets.every(function (set) { return set.has(n); })) hits.push(segment.first + n);
    });
    return hits;
  }

  async function search(tokens, slug) {
    index = index || await load("index.json");
    var parts = await Promise.all(index.segments.map(function (segment) {
      return segmentHits(segment, tokens, slug);
    }));
    var hits = [].concat.apply([], parts);
    return hits.sort(function (a, b) { return b - a; }); // numbered from the oldest
  }

  async function doc(number) {
    var segment = index.segments.find(function (s) {
      return number >= s.first && number < s.first + s.count;
    });
    var local = number - segment.first;
    var docs = await load(segment.folder + "docs-" + Math.floor(local / index.docs) + ".json");
    return docs[local % index.docs];
  }

  function matches(piece, tokens) {
    return words(piece).some(function (word) {
      return tokens.some(function (token) { return fits(word, token); });
    });
  }

  // The text around its first match, with every matching word marked.
  function excerpt(texts, tokens) {
    var paragraph = document.createElement("p");
    var pieces = [], first = -1;
    for (var t = 0; t < texts.length && first < 0; t++) {
      pieces = texts[t].split(/\s+/).filter(Boolean);
      first = pieces.findIndex(function (piece) { return matches(piece, tokens); });
    }
    if (first < 0) { pieces = texts[0].split(/\s+/).filter(Boolean); first = 0; }
    var start = Math.max(0, first - 8), end = Math.min(pieces.length, start + WINDOW);
    if (start > 0) paragraph.append("… ");
    for (var i = start; i < end; i++) {
      if (i > start) paragraph.append(" ");
      if (tokens.length && matches(pieces[i], tokens)) {
        var mark = document.createElement("mark");
        mark.textContent = pieces[i];
        paragraph.append(mark);
      } else {
        paragraph.append(pieces[i]);
      }
    }
    if (end < pieces.length) paragraph.append(" …");
    return paragraph;
  }

  function result(record, tokens) {
    // record: [path, title, date, topic slugs, summary, analysis]
    var item = document.createElement("li");
    var heading = document.createElement("h2");
    var link = document.createElement("a");
    link.href = root + record[0];
    link.textContent = record[1];
    heading.append(link);
    var meta = document.createElement("p");
    meta.className = "meta";
    var names = record[3].map(function (slug) { return index.topics[slug] || slug; });
    meta.textContent = [record[2]].concat(names.length ? [names.join(", ")] : []).join(" · ");
    item.append(heading, meta, excerpt([record[4], record[5]].filter(Boolean), tokens));
    return item;
  }

  async function showMore(ticket, focus) {
    var next = current.hits.slice(current.shown, current.shown + PAGE);
    var records = await Promise.all(next.map(doc));
    if (ticket !== sequence) return;
    var items = records.map(function (record) { return result(record, current.tokens); });
    items.forEach(function (item) { list.append(item); });
    current.shown += next.length;
    more.hidden = current.shown >= current.hits.length;
    if (focus && items.length) items[0].querySelector("a").focus();
  }

  function describe(count, query, slug) {
    var what = count === 0 ? "No results" : count === 1 ? "1 result" : count + " results";
    if (query) what += " for “" + query + "”";
    if (slug) what += " in " + (index.topics[slug] || slug);
    return what + (count > PAGE ? ", newest first" : "") + ".";
  }

  async function run() {
    var ticket = ++sequence;
    var query = input.value.trim(), slug = topic.value;
    var params = new URLSearchParams();
    if (query) params.set("q", query);
    if (slug) params.set("topic", slug);
    var address = location.pathname + (params.toString() ? "?" + params : "");
    history.replaceState(null, "", address);
    // A plural finds its singular too: "regulations" searches for "regulation…".
    var all = words(query).map(function (word) {
      return word.length > 3 && word.endsWith("s") ? word.slice(0, -1) : word;
    });
    var tokens = all.filter(function (word, i) { return all.indexOf(word) === i; });
    try {
      index = index || await load("index.json");
      var stop = new Set(index.stop);
      var kept = tokens.filter(function (token) { return !stop.has(token); });
      if (ticket !== sequence) return;
      list.textContent = "";
      more.hidden = true;
      current = { hits: [], shown: 0, tokens: kept };
      if (!kept.length && !slug) {
        status.textContent = tokens.length ? "Those words are too common to search for." : "";
        return;
      }
      var hits = await search(kept, slug);
      if (ticket !== sequence) return;
      current.hits = hits;
      status.textContent = describe(hits.length, query, slug);
      await showMore(ticket, false);
    } catch (error) {
      if (ticket !== sequence) return;
      status.textContent = location.protocol === "file:"
        ? "Search needs the site served over HTTP (digest serve, or any web server): browsers do not let a page opened from the disk read the index."
        : "Search could not load its index (" + error.message + ").";
    }
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(run, 150);
  }

  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); run(); });
  input.addEventListener("input", soon);
  topic.addEventListener("change", function () { clearTimeout(timer); run(); });
  more.addEventListener("click", function () { showMore(sequence, true); });
  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  if (params.get("topic")) topic.value = params.get("topic");
  if (input.value || topic.value) run();
  input.focus();
})();
