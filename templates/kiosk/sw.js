/* SIPAS kiosk service worker: keeps the kiosk page and its files for when the network is down. */
const CACHE = {{ cache|tojson }};
const ASSETS = {{ assets|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((key) => key.startsWith("sipas-kiosk-") && key !== CACHE).map((key) => caches.delete(key))
  )).then(() => self.clients.claim()));
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request) || await cache.match(request, {ignoreSearch: true});
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(CACHE)).put(request, response.clone());
  return response;
}

/* Spoken questions: the media element asks for byte ranges, and a partial (206) answer cannot be
   cached, so a miss fetches the whole file, keeps it and answers with it. */
async function audioFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request.url);
  if (cached) return cached;
  const response = await fetch(request.url, {credentials: "same-origin"});
  if (response.status === 200) cache.put(request.url, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return;
  if (url.pathname.startsWith("/kiosk/audio/")) event.respondWith(audioFirst(request));
  else if (request.mode === "navigate") event.respondWith(networkFirst(request));
  else if (url.pathname.startsWith("/static/")) event.respondWith(cacheFirst(request));
});
