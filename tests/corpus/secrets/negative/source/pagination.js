async function all(url) {
  let nextPageToken = null, out = [];
  do {
    const r = await get(url, { pageToken: nextPageToken });
    out.push(...r.items);
    nextPageToken = r.nextPageToken;
  } while (nextPageToken);
  return out;
}
