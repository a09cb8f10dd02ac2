package metrics

import "testing"

func TestTeamFilter(t *testing.T) {
	cases := []struct {
		in      string
		tracked []int
		not     []int
	}{
		{"all", []int{1, 99}, nil},
		{"*", []int{1}, nil},
		{"none", nil, []int{1}},
		{"1,5,7:9", []int{1, 5, 7, 8, 9}, []int{2, 6, 10}},
		{" 3 , 10:12 ", []int{3, 11}, []int{4, 13}},
	}
	for _, c := range cases {
		f, err := ParseTeamFilter(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		for _, id := range c.tracked {
			if !f.Tracks(id) || f.Label(id) == "other" {
				t.Errorf("%q should track %d", c.in, id)
			}
		}
		for _, id := range c.not {
			if f.Tracks(id) || f.Label(id) != "other" {
				t.Errorf("%q should not track %d", c.in, id)
			}
		}
	}
	for _, bad := range []string{"abc", "1,x", "5:3", "1:", ":2"} {
		if _, err := ParseTeamFilter(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
