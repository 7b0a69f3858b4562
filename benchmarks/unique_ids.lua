-- wrk script: every request asks for a pixel id never asked for before (dynamic mode).
local counter = 1000000
request = function()
  counter = counter + 1
  return wrk.format("GET", "/v1/networks/pixels/" .. counter)
end
