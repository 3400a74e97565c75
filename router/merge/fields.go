package merge

import (
	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/shardline/shardline/router"
)

// maxDecimalScale is MySQL's DECIMAL_MAX_SCALE.
const maxDecimalScale = 30

// avgScaleIncrement is MySQL's default div_precision_increment.
const avgScaleIncrement = 4

// mergedFields returns the columns after aggregation: the inputs' columns,
// with each aggregate's Name applied and AVG typed as MySQL types it. The
// input fields are never modified.
func mergedFields(in []*mysql.Field, aggs []router.Aggregate) []*mysql.Field {
	out := append([]*mysql.Field(nil), in...)
	for _, a := range aggs {
		f := *out[a.Column]
		switch {
		case a.Func == router.AggAvg:
			f = avgField(f)
		case a.Func == router.AggCount && !isIntType(f.Type), a.Func == router.AggCountDistinct:
			f = countField(f)
		}
		if a.Name != "" {
			f.Name = []byte(a.Name)
		}
		// Dump sends Data, the definition as the backend sent it, when set:
		// drop it so the changed name and type are what the client sees.
		f.Data = nil
		out[a.Column] = &f
	}
	return out
}

// countField types COUNT as BIGINT, the type its values take, whatever
// type the partial column had.
func countField(f mysql.Field) mysql.Field {
	f.Type = mysql.MYSQL_TYPE_LONGLONG
	f.Decimal = 0
	f.ColumnLength = 21
	f.Charset = binaryCollation
	f.Flag |= mysql.BINARY_FLAG
	return f
}

// binaryCollation is the collation id of binary strings and numbers.
const binaryCollation = 63

// avgField types AVG given the field of its partial SUM: DOUBLE over
// FLOAT/DOUBLE, else DECIMAL with div_precision_increment more digits.
func avgField(sum mysql.Field) mysql.Field {
	f := sum
	if isFloatType(sum.Type) {
		f.Type = mysql.MYSQL_TYPE_DOUBLE
		return f
	}
	scale := avgScale(&sum)
	f.Type = mysql.MYSQL_TYPE_NEWDECIMAL
	f.ColumnLength = sum.ColumnLength + uint32(scale-int(sum.Decimal))
	f.Decimal = uint8(scale)
	return f
}

// avgScale is the scale of AVG over a partial SUM column.
func avgScale(sum *mysql.Field) int {
	s := avgScaleIncrement
	if sum.Type == mysql.MYSQL_TYPE_NEWDECIMAL || sum.Type == mysql.MYSQL_TYPE_DECIMAL {
		s += int(sum.Decimal)
	}
	return min(s, maxDecimalScale)
}

func isFloatType(t uint8) bool {
	return t == mysql.MYSQL_TYPE_FLOAT || t == mysql.MYSQL_TYPE_DOUBLE
}

func isIntType(t uint8) bool {
	switch t {
	case mysql.MYSQL_TYPE_TINY, mysql.MYSQL_TYPE_SHORT, mysql.MYSQL_TYPE_INT24,
		mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_LONGLONG, mysql.MYSQL_TYPE_YEAR:
		return true
	}
	return false
}
