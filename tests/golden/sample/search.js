// The search page: queries the index that digest/search.py writes under search/, in the
// reader's browser. Words are folded and stemmed as the index was (stemmer.js, the
// same Snowball stemmer), so "automated" finds "automation"; a word may also start a
// longer one ("regul" finds regulators). Results are ranked by BM25F (headline and
// summary above the analysis; the index holds each posting's weight, this script the
// IDF), newer first among equals, or by date on request (&sort=date). A query that finds
// nothing is retried with one edit on its longer words, and says so. Only the files a
// query needs are fetched, each once. Item text is only ever set as textContent.
(function () {
  "use strict";
  var PAGE = 10; // results shown at a time
  var WINDOW = 32; // words of text shown around the first match
  var PREFIX = 0.6; // a stem that the word only starts (or that starts it) counts this much
  var RECENCY = 0.05; // the newest item's score is this much higher than the oldest's
  var RANGE = 4; // term files read per segment for one word's longer forms, at most
  var TYPO = 5; // letters: a word this long may be corrected by one edit
  var LEVELS = 63; // as digest/search.py
  var DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

  var form = document.getElementById("search");
  if (!form || !window.fetch || !String.prototype.normalize || !window.DigestStemmers) return;
  var input = document.getElementById("search-query");
  var topic = document.getElementById("search-topic");
  var order = document.getElementById("search-sort");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var root = form.dataset.root;
  // What the script says comes from the page, in the site's language (search.html).
  var messages = form.dataset.messages ? JSON.parse(form.dataset.messages) : {};
  var language = document.documentElement.lang || "en";
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(language) : null;
  var numbers = window.Intl && Intl.NumberFormat ? new Intl.NumberFormat(language) : null;
  var base = form.dataset.index.replace(/index\.json$/, "");
  var files = {};
  var index = null;
  var stemmer = null;
  var elision = null; // the language's elided words before their apostrophe, as a RegExp
  var current = { hits: [], shown: 0, stems: new Set() };
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

  // As digest/search.py's fold: NFKD, marks dropped, lower case, the folds JS lacks.
  function fold(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/ß/g, "ss").replace(/ς/g, "σ");
  }

  // As digest/search.py's lower: accents kept, for a stemmer that reads them.
  function lower(text) {
    return text.normalize("NFKC").toLowerCase().replace(/ß/g, "ss").replace(/ς/g, "σ").replace(/œ/g, "oe").replace(/æ/g, "ae");
  }

  // A text's words as digest/search.py reads them (_read, terms): each folded (word),
  // with its stem as the index holds it, the stem of its folded spelling (plain: the
  // same but for some accented words), and as it is written in lower case (shown).
  // French is stemmed before it is folded, its elided words dropped ("l’IA" is "ia").
  function words(text) {
    if (!index.stem_accents) {
      return (fold(text).match(/[\p{L}\p{N}]+/gu) || []).map(function (word) {
        var stemmed = stem(word);
        return { word: word, stem: stemmed, plain: stemmed, shown: word };
      });
    }
    var spelt = lower(text);
    if (elision) spelt = spelt.replace(elision, "");
    return (spelt.match(/[\p{L}\p{N}]+/gu) || []).map(function (word) {
      var folded = fold(word);
      return { word: folded, stem: stem(word), plain: stem(folded), shown: word };
    });
  }

  // A word's stem as the index holds it: folded, when the stemmer read the accents.
  function stem(word) {
    if (!stemmer) return word;
    return index.stem_accents ? fold(stemmer.stemWord(word)) : stemmer.stemWord(word);
  }

  // As digest/search.py's _elision: an elided word and its apostrophe at the start of a
  // word, before a letter or digit ("l’" of "l’IA", not "d’" of "aujourd’hui").
  function elisionFor(elided) {
    if (!elided) return null;
    return new RegExp("(?<![\\p{L}\\p{N}])(?:" + elided.join("|") + ")['’ʼ](?=[\\p{L}\\p{N}])", "gu");
  }

  function fileName(name) {
    if (/^[a-z0-9-]+$/.test(name)) return name;
    return "u" + Array.from(name).map(function (c) { return c.codePointAt(0).toString(16); }).join("-");
  }

  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }

  // A posting string -> [[number, weight], ...] (see digest/search.py: _varint).
  function postings(code, weighted) {
    var out = [], n = 0, value = 0;
    for (var i = 0; i < code.length; i++) {
      var digit = DIGITS.indexOf(code[i]);
      value = value * 32 + (digit & 31);
      if (digit >= 32) continue;
      n += value;
      value = 0;
      if (weighted) { out.push([n, DIGITS.indexOf(code[++i])]); } else { out.push([n, 0]); }
    }
    return out;
  }

  // The term file of a segment that would hold `term`: the last whose first stem <= it.
  function shardOf(meta, term) {
    var low = 0, high = meta.bounds.length - 1, found = -1;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (meta.bounds[middle] <= term) { found = middle; low = middle + 1; } else { high = middle - 1; }
    }
    return found;
  }

  // The term files of a segment that hold the stems starting with `prefix`.
  function shardsFrom(meta, prefix) {
    var first = Math.max(shardOf(meta, prefix), 0), found = [];
    for (var i = first; i < meta.bounds.length && found.length < RANGE; i++) {
      if (i > first && meta.bounds[i].slice(0, prefix.length) > prefix) break;
      found.push(i);
    }
    return found;
  }

  async function shard(segment, meta, number) {
    return number < 0 ? {} : load(segment.folder + "t" + number + ".json");
  }

  // For each segment: {stem: postings} of the stems that match `token` as it allows.
  async function lookup(segments, token, ways) {
    return Promise.all(segments.map(async function (segment) {
      var meta = await load(segment.folder + "meta.json");
      var wanted = {}, found = {};
      if (ways.exact) wanted[shardOf(meta, token.stem)] = true;
      if (ways.exact && token.plain) wanted[shardOf(meta, token.plain)] = true;
      if (ways.prefix) {
        shardsFrom(meta, token.word).forEach(function (n) { wanted[n] = true; });
        shardsFrom(meta, token.root).forEach(function (n) { wanted[n] = true; });
      }
      if (ways.cut) shardsFrom(meta, ways.cut).forEach(function (n) { wanted[n] = true; });
      var shards = await Promise.all(Object.keys(wanted).map(function (n) { return shard(segment, meta, +n); }));
      shards.forEach(function (terms) {
        Object.keys(terms).forEach(function (term) {
          var factor = 0;
          if (ways.exact && (term === token.stem || term === token.plain)) factor = 1;
          else if (ways.prefix && (term.startsWith(token.word) || term.startsWith(token.root))) factor = PREFIX;
          else if (ways.cut && term.startsWith(ways.cut)) factor = PREFIX;
          if (factor) found[term] = { factor: factor, postings: postings(terms[term], true) };
        });
      });
      return found;
    }));
  }

  // The beginning that a word shares with the forms it may have grown out of or into:
  // "hugg" (being typed) -> "hug", "transcription" -> "transcrib" (transcribed).
  function beginning(word) { return word.slice(0, Math.max(3, Math.ceil(word.length * 0.6))); }

  function common(a, b) {
    var n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    return n;
  }

  // A token: the word as typed (folded), its stem, the stem of its folded spelling when
  // that differs (an item may spell it without its accents), and the stem's root for
  // longer forms: Snowball turns a final y into i ("economy" -> "economi"), which
  // "economic" lacks, and French keeps the i of an -ier verb in some forms only
  // ("publiées" -> "publi", "publie" -> "publ").
  function token(read) {
    var stemmed = read.stem, word = read.word;
    var root = stemmed.length > 4 && stemmed.endsWith("i") ? stemmed.slice(0, -1) : stemmed;
    var found = { word: word, stem: stemmed, root: root.length >= 3 ? root : word };
    if (read.plain !== stemmed) found.plain = read.plain;
    return found;
  }

  function empty(perSegment) {
    return perSegment.every(function (found) { return Object.keys(found).length === 0; });
  }

  // Every token's matches, segment by segment; a token that matches nothing is null.
  // With `cut`, a token that matches nothing tries the shorter stems it may have grown
  // out of while being typed ("hugg" -> "hug").
  async function match(tokens, cut) {
    return Promise.all(tokens.map(async function (token) {
      var prefix = token.word.length >= 3;
      var found = await lookup(index.segments, token, { exact: true, prefix: prefix });
      if (cut && empty(found) && prefix) {
        // The stems that share the longest beginning with the word, if any shares enough.
        found = await lookup(index.segments, token, { cut: beginning(token.word) });
        var longest = 0;
        found.forEach(function (f) { Object.keys(f).forEach(function (term) { longest = Math.max(longest, common(term, token.word)); }); });
        found = found.map(function (f) {
          var kept = {};
          Object.keys(f).forEach(function (term) { if (common(term, token.word) === longest) kept[term] = f[term]; });
          return kept;
        });
        if (!empty(found)) token.cut = token.word.slice(0, longest);
      }
      return empty(found) ? null : found;
    }));
  }

  async function topicItems(slug) {
    var parts = await Promise.all(index.segments.map(async function (segment) {
      var meta = await load(segment.folder + "meta.json");
      if (meta.topics.indexOf(slug) < 0) return [];
      var code = await load(segment.folder + "topic-" + fileName(slug) + ".json");
      return postings(code, false).map(function (p) { return segment.first + p[0]; });
    }));
    return new Set([].concat.apply([], parts));
  }

  // Ranked hits: [{story, number, score}], one per story (a repeat counts as its first
  // report, which its result links to).
  async function rank(tokens, matched, slug, byDate, every) {
    var total = index.segments.reduce(function (sum, s) { return sum + s.count; }, 0);
    var metas = await Promise.all(index.segments.map(function (s) { return load(s.folder + "meta.json"); }));
    var scores = new Map(); // item number -> [score per token]
    var only = slug ? await topicItems(slug) : null;
    // A word's forms (its stem, longer stems, a shorter one) count as one term: its IDF
    // is that of the items any of them is in, so a rare longer form cannot outweigh the
    // word itself; an item counts its best form.
    matched.forEach(function (perSegment, t) {
      if (!perSegment) return;
      var best = new Map();
      perSegment.forEach(function (found, s) {
        var first = index.segments[s].first;
        Object.keys(found).forEach(function (term) {
          found[term].postings.forEach(function (p) {
            var number = first + p[0];
            var value = found[term].factor * p[1] / LEVELS;
            if (!(best.get(number) >= value)) best.set(number, value);
          });
        });
      });
      var idf = Math.log(1 + (total - best.size + 0.5) / (best.size + 0.5));
      best.forEach(function (value, number) {
        if (only && !only.has(number)) return;
        var row = scores.get(number);
        if (!row) { row = new Array(tokens.length).fill(0); scores.set(number, row); }
        row[t] = idf * value;
      });
    });
    var stories = new Map();
    scores.forEach(function (row, number) {
      var present = row.filter(function (value) { return value > 0; }).length;
      if (every && present < row.length) return;
      var s = index.segments.findIndex(function (seg) { return number < seg.first + seg.count; });
      var local = String(number - index.segments[s].first);
      var story = has(metas[s].same, local) ? metas[s].same[local] : number;
      // With some of the words only, an item with more of them comes first.
      var score = row.reduce(function (a, b) { return a + b; }, 0) * present / row.length *
        (1 + RECENCY * story / Math.max(total, 1));
      var known = stories.get(story);
      if (!known || score > known.score) stories.set(story, { story: story, number: number, score: score });
    });
    var hits = Array.from(stories.values());
    hits.sort(byDate
      ? function (a, b) { return b.story - a.story; }
      : function (a, b) { return b.score - a.score || b.story - a.story; });
    return hits;
  }

  async function allItems(slug) {
    var numbers = Array.from(await topicItems(slug));
    var hits = numbers.map(function (n) { return { story: n, number: n, score: 0 }; });
    return hits.sort(function (a, b) { return b.story - a.story; });
  }

  function distance1(a, b) { // whether a and b are at most one edit apart (a swap counts as one)
    if (a === b) return true;
    if (Math.abs(a.length - b.length) > 1) return false;
    var i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    if (a.length === b.length) {
      return a.slice(i + 1) === b.slice(i + 1) ||
        (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2));
    }
    return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
  }

  // The words one edit from `word` (a letter left out, added, changed, or two swapped),
  // its first letter kept: the index's word lists are filed by first letter.
  function edits(word) {
    var letters = "abcdefghijklmnopqrstuvwxyz", out = [];
    for (var i = 1; i <= word.length; i++) {
      var head = word.slice(0, i), tail = word.slice(i);
      if (tail) out.push(head + tail.slice(1));
      if (tail.length > 1) out.push(head + tail[1] + tail[0] + tail.slice(2));
      for (var l = 0; l < letters.length; l++) {
        out.push(head + letters[l] + tail);
        if (tail) out.push(head + letters[l] + tail.slice(1));
      }
    }
    return out;
  }

  // For a word of TYPO letters or more: the stem, among those of the index that share its
  // first letter, of a word one edit from it ("vulnerabilty" -> vulnerability -> "vulner")
  // or one edit from its stem; the one in most segments, or null.
  async function correct(token) {
    if (token.word.length < TYPO) return null;
    var letter = Array.from(token.word)[0];
    var lists = await Promise.all(index.segments.map(async function (segment) {
      var meta = await load(segment.folder + "meta.json");
      return meta.letters.indexOf(letter) < 0 ? [] : load(segment.folder + "v-" + fileName(letter) + ".json");
    }));
    var near = new Set(edits(token.word).map(stem));
    near.delete(token.stem);
    var counts = {};
    lists.forEach(function (stems) {
      stems.forEach(function (term) {
        if (term !== token.stem && (near.has(term) || distance1(term, token.stem))) {
          counts[term] = (counts[term] || 0) + 1;
        }
      });
    });
    var best = null;
    Object.keys(counts).forEach(function (term) {
      if (best === null || counts[term] > counts[best] || (counts[term] === counts[best] && term < best)) best = term;
    });
    return best;
  }

  async function doc(hit) {
    var segment = index.segments.find(function (s) { return hit.number < s.first + s.count; });
    return load(segment.folder + "d" + (hit.number - segment.first) + ".json");
  }

  function matches(piece, stems) {
    return words(piece).some(function (read) {
      return Array.from(stems).some(function (s) {
        return read.stem === s || read.plain === s || (s.length >= 3 && read.word.startsWith(s));
      });
    });
  }

  // The text around its first match, with every matching word marked.
  function excerpt(texts, stems) {
    var paragraph = document.createElement("p");
    var pieces = [], first = -1;
    for (var t = 0; t < texts.length && first < 0; t++) {
      pieces = texts[t].split(/\s+/).filter(Boolean);
      first = stems.size ? pieces.findIndex(function (piece) { return matches(piece, stems); }) : -1;
    }
    if (first < 0) { pieces = texts[0].split(/\s+/).filter(Boolean); first = 0; }
    var start = Math.max(0, first - 8), end = Math.min(pieces.length, start + WINDOW);
    if (start > 0) paragraph.append("… ");
    for (var i = start; i < end; i++) {
      if (i > start) paragraph.append(" ");
      if (stems.size && matches(pieces[i], stems)) {
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

  function result(record, stems) {
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
    item.append(heading, meta, excerpt([record[4], record[5]].filter(Boolean), stems));
    return item;
  }

  async function showMore(ticket, focus) {
    var next = current.hits.slice(current.shown, current.shown + PAGE);
    var records = await Promise.all(next.map(doc));
    if (ticket !== sequence) return [];
    var items = records.map(function (record) { return result(record, current.stems); });
    items.forEach(function (item) { list.append(item); });
    current.shown += next.length;
    more.hidden = current.shown >= current.hits.length;
    if (focus && items.length) items[0].querySelector("a").focus();
    return records;
  }

  // A message of the page with its {names} filled in; a message with plural forms takes
  // the one that `values.count` calls for in the page's language.
  function say(name, values) {
    var message = messages[name] || "";
    if (typeof message === "object") {
      var form = plurals ? plurals.select(values.count) : values.count === 1 ? "one" : "other";
      message = message[form] || message.other || "";
    }
    return message.replace(/\{(\w+)\}/g, function (whole, key) {
      if (!has(values, key)) return whole;
      return key === "count" && numbers ? numbers.format(values.count) : String(values[key]);
    });
  }

  function counted(count) { return count === 0 ? say("none", {}) : say("results", { count: count }); }

  function describe(count, query, slug, byDate) {
    var what = counted(count);
    if (query) what = say("for", { results: what, query: query });
    if (slug) what = say("in", { results: what, topic: index.topics[slug] || slug });
    if (count > 1) what = say(byDate || !query ? "newest" : "best", { results: what });
    return say("sentence", { results: what });
  }

  // The word of the results' text that a corrected stem stands for, the one nearest to
  // what was typed: "hackd" -> "hacked" (rather than "hacking").
  function shownWord(records, token, terms) {
    var found = [];
    records.forEach(function (record) {
      words([record[1], record[4], record[5]].join(" ")).forEach(function (read) {
        if (terms.has(read.stem) || terms.has(read.plain)) found.push(read);
      });
    });
    var typed = token.typed || token.word;
    var near = found.find(function (read) { return distance1(read.word, typed); });
    found.sort(function (a, b) { return common(b.word, typed) - common(a.word, typed); });
    return (near || found[0] || { shown: token.word }).shown;
  }

  async function run() {
    var ticket = ++sequence;
    var query = input.value.trim(), slug = topic.value, byDate = order.value === "date";
    var params = new URLSearchParams();
    if (query) params.set("q", query);
    if (slug) params.set("topic", slug);
    if (byDate) params.set("sort", "date");
    var address = location.pathname + (params.toString() ? "?" + params : "");
    history.replaceState(null, "", address);
    try {
      index = index || await load("index.json");
      // An index of a language without a stemmer ("") is unstemmed: so are its queries.
      stemmer = stemmer || (index.language ? window.DigestStemmers.stemmerFor(index.language) : null);
      elision = elisionFor(index.elided);
      var stop = new Set(index.stop);
      var seen = new Set(), tokens = [];
      words(query).forEach(function (read) {
        if (stop.has(read.word) || seen.has(read.word)) return;
        seen.add(read.word);
        tokens.push(token(read));
      });
      var hits, stems = new Set(), corrected = null, partial = false;
      if (tokens.length) {
        var matched = await match(tokens, false);
        if (matched.some(function (m) { return m === null; })) {
          // Nothing for some word: first one edit on the longer words that found nothing
          // (said in the status), then the shorter stems of a word being typed.
          corrected = await Promise.all(tokens.map(function (token, i) {
            return matched[i] === null ? correct(token) : null;
          }));
          var fixed = tokens.map(function (token, i) {
            return corrected[i] ? { word: corrected[i], stem: corrected[i], root: corrected[i], typed: token.word } : token;
          });
          var again = corrected.some(Boolean) ? await match(fixed, false) : matched;
          tokens = tokens.map(function (t, i) { return corrected[i] && again[i] ? fixed[i] : t; });
          corrected = corrected.map(function (c, i) { return c && again[i] ? c : null; });
          if (tokens.some(function (t, i) { return !matched[i] && !again[i]; })) {
            matched = await match(tokens, true);
            // A shorter stem is said too, but for a short word that is still being typed.
            tokens = tokens.map(function (t, i) {
              if (!t.cut || t.word.length < TYPO || corrected[i]) return t;
              corrected[i] = t.cut;
              return Object.assign({}, t, { typed: t.word });
            });
          } else {
            matched = matched.map(function (m, i) { return m || again[i]; });
          }
          if (!corrected.some(Boolean)) corrected = null;
        }
        var found = matched.filter(Boolean).length;
        hits = found === tokens.length ? await rank(tokens, matched, slug, byDate, true) : [];
        if (!hits.length && found && tokens.length > 1) {
          // Nothing has every word: the items with some of them, said so.
          partial = true;
          hits = await rank(tokens, matched, slug, byDate, false);
        }
        tokens.forEach(function (token, i) {
          if (matched[i]) Object.keys(Object.assign({}, ...matched[i])).forEach(function (t) { stems.add(t); });
        });
      } else if (slug) {
        hits = await allItems(slug);
      } else {
        hits = null;
      }
      if (ticket !== sequence) return;
      list.textContent = "";
      more.hidden = true;
      current = { hits: hits || [], shown: 0, stems: stems };
      if (hits === null) {
        status.textContent = words(query).length ? say("common", {}) : "";
        return;
      }
      var records = await showMore(ticket, false);
      if (ticket !== sequence) return;
      if (partial) {
        status.textContent = say("partial", { query: query, results: counted(hits.length) });
      } else if (corrected && hits.length) {
        var instead = tokens.map(function (token, i) {
          return corrected[i] && matched[i] ? shownWord(records, token, new Set(Object.keys(Object.assign({}, ...matched[i])))) : token.word;
        }).join(" ");
        status.textContent = say("corrected", { query: query, instead: instead, count: hits.length });
      } else {
        status.textContent = describe(hits.length, query, slug, byDate);
      }
    } catch (error) {
      if (ticket !== sequence) return;
      status.textContent = location.protocol === "file:"
        ? say("file", {})
        : say("failed", { error: error.message });
    }
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(run, 150);
  }

  function now() { clearTimeout(timer); run(); }

  form.hidden = false;
  form.addEventListener("submit", function (event) { event.preventDefault(); now(); });
  input.addEventListener("input", soon);
  topic.addEventListener("change", now);
  order.addEventListener("change", now);
  more.addEventListener("click", function () { showMore(sequence, true); });
  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  if (params.get("topic")) topic.value = params.get("topic");
  if (params.get("sort") === "date") order.value = "date";
  if (input.value || topic.value) run();
  input.focus();
})();
