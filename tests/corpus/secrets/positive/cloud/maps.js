const map = new google.maps.Map(el, { zoom: 8 });
const MAPS_KEY = 'AIzaFiME6Zuxk5Sb0IfSWJ9mdbzfK1n-jDwVEgb';
loadScript(`https://maps.googleapis.com/maps/api/js?key=${MAPS_KEY}`);
